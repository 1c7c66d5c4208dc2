import type { ActorType, Audit } from '../audit/index.ts';
import type { Db, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import { scrub } from '../lib/redact.ts';
import {
  canTransition,
  DETECTOR_KEY_CHARS_MAX,
  KIND_RE,
  REASON_CHARS_MAX,
  STATE_EVENT_KINDS,
  SUMMARY_CHARS_MAX,
  TIMELINE_EVENTS_MAX,
  TITLE_CHARS_MAX,
  type Severity,
  type Status,
} from './incident.ts';
import * as store from './store.ts';
import { incidentsError } from './errors.ts';

// The timeline: every change to an incident is one event here and one audit entry, both in
// the caller's transaction. The record's state follows from the events (the database applies
// them), so nothing can change an incident without leaving its trace.

/** What every change needs: the audit chain it is recorded in, and the time. */
export interface IncidentDeps {
  audit: Pick<Audit, 'append'>;
  clock: Clock;
}

export interface IncidentActor {
  type: ActorType;
  id?: string | undefined;
}

export interface IncidentInput {
  kind: string;
  severity: Severity;
  summary: string;
  /** Short name shown in lists; the summary's first 200 characters when not given. */
  title?: string;
  /** Plain JSON; scrubbed like a log line, so it can never carry card data or secrets. */
  detail?: Record<string, unknown>;
  /** Who opened it; a detector running unattended is `system` (the default). */
  actor?: IncidentActor;
  at?: Date;
  /** The detector and its key, when a detector raised it (raiseIncident sets these). */
  detector?: { name: string; key: string };
}

const SYSTEM: IncidentActor = { type: 'system' };

function checkText(value: string, max: number, what: string): void {
  assert(value.length > 0 && value.length <= max, `${what} must be 1..${max} chars`);
}

/** Opens an incident in the caller's transaction, audited there too; returns its id. */
export async function openIncident(
  tx: Tx,
  deps: IncidentDeps,
  input: IncidentInput,
): Promise<string> {
  assert(KIND_RE.test(input.kind), `bad incident kind ${input.kind}`);
  checkText(input.summary, SUMMARY_CHARS_MAX, 'incident summary');
  const title = scrub(input.title ?? input.summary.slice(0, TITLE_CHARS_MAX)) as string;
  checkText(title, TITLE_CHARS_MAX, 'incident title');
  const id = publicId('inc', 16);
  const actor = input.actor ?? SYSTEM;
  const { kind, severity, summary } = input;
  const detail = scrub(input.detail ?? {}) as Record<string, unknown>;
  const detector = input.detector;
  await store.insertEvent(tx, {
    incident_id: id,
    at: input.at ?? deps.clock.now(),
    actor_type: actor.type,
    actor_id: actor.id ?? null,
    kind: 'opened',
    detail: {
      ...{ kind, severity, summary, title, detail },
      ...(detector ? { detector: detector.name, detector_key: detector.key } : {}),
    },
  });
  await deps.audit.append(tx, [
    {
      action: 'incidents.incident.opened',
      actor,
      subject: { type: 'incident', id },
      outcome: 'success',
      detail: { kind, severity, detector: detector?.name },
    },
  ]);
  return id;
}

/** A detector's signal: what it saw, under a key that names "the same thing again". */
export interface Signal {
  /** The detector's name, dotted lower case: `identity.stuffing`, `risk.spike`. */
  detector: string;
  /** What makes two signals the same incident: a source network, a rule, a merchant. */
  key: string;
  title: string;
  severity: Severity;
  /** One paragraph for the timeline; the title when not given. */
  summary?: string;
  /** The incident's kind when one is opened; the detector's name when not given. */
  kind?: string;
  detail?: Record<string, unknown>;
  actor?: IncidentActor;
  at?: Date;
}

export interface Raised {
  incidentId: string;
  /** True when the signal joined an incident already open or contained under its key. */
  joined: boolean;
}

/**
 * A detector's way in: joins the open or contained incident raised under the same detector
 * and key (a `signal_joined` event), or opens a new one. Concurrent raises of one key are
 * serialised by a transaction-scoped lock, so duplicates join instead of opening twice.
 */
export async function raiseIncident(tx: Tx, deps: IncidentDeps, s: Signal): Promise<Raised> {
  assert(KIND_RE.test(s.detector), `bad detector name ${s.detector}`);
  checkText(s.key, DETECTOR_KEY_CHARS_MAX, 'detector key');
  await store.lockDetectorKey(tx, s.detector, s.key);
  const live = await store.liveByDetectorKey(tx, s.detector, s.key);
  const actor = s.actor ?? SYSTEM;
  const summary = (s.summary ?? s.title).slice(0, SUMMARY_CHARS_MAX);
  if (!live) {
    const incidentId = await openIncident(tx, deps, {
      ...{ kind: s.kind ?? s.detector, severity: s.severity, summary, title: s.title },
      ...{ detail: s.detail, actor, at: s.at, detector: { name: s.detector, key: s.key } },
    });
    return { incidentId, joined: false };
  }
  await store.insertEvent(tx, {
    incident_id: live.id,
    at: s.at ?? deps.clock.now(),
    actor_type: actor.type,
    actor_id: actor.id ?? null,
    kind: 'signal_joined',
    detail: { detector: s.detector, summary, severity: s.severity, detail: scrub(s.detail ?? {}) },
  });
  await deps.audit.append(tx, [
    {
      action: 'incidents.incident.signal_joined',
      actor,
      subject: { type: 'incident', id: live.id },
      outcome: 'success',
      detail: { detector: s.detector, severity: s.severity },
    },
  ]);
  return { incidentId: live.id, joined: true };
}

export interface StatusChange {
  incidentId: string;
  to: Status;
  actor: IncidentActor;
  /** Why, in the actor's words; kept in the timeline and the audit entry. */
  reason?: string | undefined;
}

/**
 * Moves an incident forward in the caller's transaction: one timeline event (the database
 * applies it to the record) and one audit entry. Answers incident_not_found or
 * incident_transition_invalid and changes nothing when the move is not allowed.
 */
export async function changeIncidentStatus(
  tx: Tx,
  deps: IncidentDeps,
  change: StatusChange,
): Promise<{ from: Status; to: Status }> {
  const reason = change.reason === undefined ? undefined : scrub(change.reason);
  assert(
    reason === undefined || (typeof reason === 'string' && reason.length <= REASON_CHARS_MAX),
    `incident status reason must be at most ${REASON_CHARS_MAX} chars`,
  );
  const record = await store.lockIncident(tx, change.incidentId);
  if (!record) throw incidentsError('incident_not_found', { param: 'incident_id' });
  const from = record.status;
  const to = change.to;
  if (!canTransition(from, to)) {
    throw incidentsError('incident_transition_invalid', {
      message: `The incident is ${from}; it cannot become ${to} (status only moves forward).`,
      param: 'status',
    });
  }
  await insertAudited(tx, deps, record.id, change.actor, 'status_changed', { from, to, reason });
  return { from, to };
}

/** Gives the incident an owner (an operator id), or none; audited. */
export async function assignOwner(
  tx: Tx,
  deps: IncidentDeps,
  a: { incidentId: string; ownerId: string | null; actor: IncidentActor },
): Promise<void> {
  const record = await store.lockIncident(tx, a.incidentId);
  if (!record) throw incidentsError('incident_not_found', { param: 'incident_id' });
  const detail = { from: record.owner_id, to: a.ownerId };
  await insertAudited(tx, deps, record.id, a.actor, 'owner_changed', detail);
}

/** One thing done for an incident, told on its timeline. */
export interface TimelineEntry {
  /** Dotted lower case: `switch.turned_on`, `scope.run`, `notice.sent`, `note`. */
  kind: string;
  /** One line for people, in the actor's or the system's words. */
  summary: string;
  /** The record the event is about: a switch, a scope run, a report. */
  ref?: { type: string; id: string } | undefined;
  actor?: IncidentActor | undefined;
  detail?: Record<string, unknown> | undefined;
  at?: Date | undefined;
}

/**
 * Appends one event to an incident's timeline in the caller's transaction, audited there:
 * the interface other modules record their actions on an incident through. Answers
 * incident_not_found for an unknown incident.
 */
export async function appendTimeline(
  tx: Tx,
  deps: IncidentDeps,
  incidentId: string,
  e: TimelineEntry,
): Promise<bigint> {
  assert(KIND_RE.test(e.kind) && !STATE_EVENT_KINDS.has(e.kind), `bad timeline kind ${e.kind}`);
  const summary = scrub(e.summary) as string;
  checkText(summary, SUMMARY_CHARS_MAX, 'timeline summary');
  if (!(await store.incidentById(tx, incidentId))) {
    throw incidentsError('incident_not_found', { param: 'incident_id' });
  }
  const detail = { summary, ref: e.ref ?? null, detail: scrub(e.detail ?? {}) };
  return insertAudited(tx, deps, incidentId, e.actor ?? SYSTEM, e.kind, detail, e.at);
}

async function insertAudited(
  tx: Tx,
  deps: IncidentDeps,
  incidentId: string,
  actor: IncidentActor,
  kind: string,
  detail: Record<string, unknown>,
  at?: Date,
): Promise<bigint> {
  const seq = await store.insertEvent(tx, {
    incident_id: incidentId,
    at: at ?? deps.clock.now(),
    actor_type: actor.type,
    actor_id: actor.id ?? null,
    kind,
    detail,
  });
  const action = STATE_EVENT_KINDS.has(kind) ? `incidents.incident.${kind}` : 'incidents.timeline';
  await deps.audit.append(tx, [
    {
      action,
      actor,
      subject: { type: 'incident', id: incidentId },
      outcome: 'success',
      detail: action === 'incidents.timeline' ? { kind, seq: seq.toString() } : detail,
    },
  ]);
  return seq;
}

/** An incident's timeline, oldest first. */
export function incidentTimeline(
  db: Db,
  incidentId: string,
  limit = TIMELINE_EVENTS_MAX,
): Promise<store.EventRow[]> {
  assert(limit > 0 && limit <= TIMELINE_EVENTS_MAX, `timeline limit is 1..${TIMELINE_EVENTS_MAX}`);
  return store.listEvents(db, incidentId, limit);
}
