import type { Db, Sql, Tx } from '../db/index.ts';
import type { Status } from './incident.ts';
import * as store from './store.ts';
import { checkRiskSpike, type RiskHours } from './detectors.ts';
import { runScope, type Indicators } from './scope.ts';
import { recordDeliveries } from './notices.ts';
import {
  appendTimeline,
  assignOwner,
  changeIncidentStatus,
  incidentTimeline,
  openIncident,
  raiseIncident,
  type IncidentActor,
  type IncidentDeps,
  type IncidentInput,
  type Raised,
  type Signal,
  type StatusChange,
  type TimelineEntry,
} from './timeline.ts';

// The incidents service other modules hold: detectors raise signals, kill switches and the
// response steps append to the timeline, all in the caller's transaction.

interface IncidentsDeps extends IncidentDeps {
  sql: Sql;
}

interface IncidentView {
  record: store.IncidentRow;
  openers: store.OpenerRow[];
  timeline: store.EventRow[];
}

export interface Incidents {
  /** Joins the live incident of the same detector and key, or opens one (timeline.ts). */
  raise(tx: Tx, signal: Signal): Promise<Raised>;
  /**
   * The risk engine's detector: given fraud decisions per hour, raises or joins the risk-spike
   * incident when the last hour is far above the median of the day before; null otherwise.
   */
  checkRiskSpike(tx: Tx, hours: RiskHours): Promise<Raised | null>;
  /** Records an action taken for the incident on its timeline, audited. */
  appendTimeline(tx: Tx, incidentId: string, entry: TimelineEntry): Promise<bigint>;
  /** Opens an incident by hand (an operator) or from a detector without a key. */
  open(tx: Tx, input: IncidentInput): Promise<string>;
  changeStatus(tx: Tx, change: StatusChange): Promise<{ from: Status; to: Status }>;
  assignOwner(
    tx: Tx,
    a: { incidentId: string; ownerId: string | null; actor: IncidentActor },
  ): Promise<void>;
  /** Runs the scope of an incident from indicators and saves it as its next run. */
  runScope(r: {
    incidentId: string;
    indicators: Indicators;
    actor: IncidentActor;
  }): Promise<store.ScopeRow>;
  list(q: {
    status: Status | null;
    before: Date | null;
    limit: number;
  }): Promise<store.IncidentRow[]>;
  /**
   * The notify worker's delivery reports of notices (refs ntc_…, mnt_…), applied to their
   * rows in the caller's transaction or statement; other refs are not this module's.
   */
  recordDeliveries(
    db: Db,
    reports: readonly { ref: string; state: store.NoticeState; at: Date; error?: string }[],
  ): Promise<number>;
  /** The record, who opened it and its timeline; null when there is no such incident. */
  view(db: Db, incidentId: string): Promise<IncidentView | null>;
  deps: IncidentsDeps;
}

export function createIncidents(deps: IncidentsDeps): Incidents {
  return {
    deps,
    raise: (tx, signal) => raiseIncident(tx, deps, signal),
    checkRiskSpike: (tx, hours) => checkRiskSpike(tx, deps, hours),
    appendTimeline: (tx, id, entry) => appendTimeline(tx, deps, id, entry),
    open: (tx, input) => openIncident(tx, deps, input),
    changeStatus: (tx, change) => changeIncidentStatus(tx, deps, change),
    assignOwner: (tx, a) => assignOwner(tx, deps, a),
    runScope: (r) => runScope(deps, r),
    list: (q) => store.listIncidents(deps.sql, q),
    recordDeliveries: (db, reports) => recordDeliveries(db, reports),
    view: async (db, id) => {
      const record = await store.incidentById(db, id);
      if (!record) return null;
      const [openers, timeline] = await Promise.all([
        store.openers(db, id),
        incidentTimeline(db, id),
      ]);
      return { record, openers, timeline };
    },
  };
}
