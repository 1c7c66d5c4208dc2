import type { ActorType, Audit } from '../audit/index.ts';
import type { Db, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import { scrub } from '../lib/redact.ts';
import {
  canTransition,
  KIND_RE,
  REASON_CHARS_MAX,
  SUMMARY_CHARS_MAX,
  TIMELINE_EVENTS_MAX,
} from './incident.ts';
import * as store from './store.ts';
import { incidentsError } from './errors.ts';

// Incidents: the record a detector opens when something is wrong (for now the vault's
// card-number discovery scan). Kill switches, breach scope, notifications and compensation
// come with the incidents issue and build on the timeline.
//
// Glossary
// - incident: one security or integrity event that needs a person: kind, severity, summary.
// - kind: dotted lower-case name of what was detected (`vault.pan_discovered`).
// - severity: low | medium | high | critical.
// - status: open → contained → closed (a contained or closed incident can be opened again).
// - timeline: the incident's events (incidents_events), insert-only in the database; the
//   record (incidents_records) is only its current state, which the database derives from
//   the timeline. Every event is also an audit entry, written in the same transaction.
// - event: one thing that happened to an incident: at, actor, kind (`opened`,
//   `status_changed`), detail.

export { INCIDENTS_ERRORS, type IncidentsErrorCode } from './errors.ts';

/** What every change needs: the audit chain it is recorded in, and the time. */
interface IncidentDeps {
  audit: Pick<Audit, 'append'>;
  clock: Clock;
}

interface IncidentActor {
  type: ActorType;
  id?: string | undefined;
}

interface IncidentInput {
  kind: string;
  severity: store.Severity;
  summary: string;
  /** Plain JSON; scrubbed like a log line, so it can never carry card data or secrets. */
  detail?: Record<string, unknown>;
  /** Who opened it; a detector running unattended is `system` (the default). */
  actor?: IncidentActor;
  at?: Date;
}

const SYSTEM: IncidentActor = { type: 'system' };

/** Opens an incident in the caller's transaction, audited there too; returns its id. */
export async function openIncident(
  tx: Tx,
  deps: IncidentDeps,
  input: IncidentInput,
): Promise<string> {
  assert(KIND_RE.test(input.kind), `bad incident kind ${input.kind}`);
  assert(
    input.summary.length > 0 && input.summary.length <= SUMMARY_CHARS_MAX,
    `incident summary must be 1..${SUMMARY_CHARS_MAX} chars`,
  );
  const id = publicId('inc', 16);
  const actor = input.actor ?? SYSTEM;
  const { kind, severity, summary } = input;
  const detail = scrub(input.detail ?? {}) as Record<string, unknown>;
  await store.insertEvent(tx, {
    incident_id: id,
    at: input.at ?? deps.clock.now(),
    actor_type: actor.type,
    actor_id: actor.id ?? null,
    kind: 'opened',
    detail: { kind, severity, summary, detail },
  });
  await deps.audit.append(tx, [
    {
      action: 'incidents.incident.opened',
      actor,
      subject: { type: 'incident', id },
      outcome: 'success',
      detail: { kind, severity },
    },
  ]);
  return id;
}

interface StatusChange {
  incidentId: string;
  to: store.Status;
  actor: IncidentActor;
  /** Why, in the actor's words; kept in the timeline and the audit entry. */
  reason?: string | undefined;
}

/**
 * Moves an incident to another status in the caller's transaction: one timeline event (the
 * database applies it to the record) and one audit entry. Answers incident_not_found or
 * incident_transition_invalid and changes nothing when the move is not allowed.
 */
export async function changeIncidentStatus(
  tx: Tx,
  deps: IncidentDeps,
  change: StatusChange,
): Promise<{ from: store.Status; to: store.Status }> {
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
      message: `The incident is ${from}; it cannot become ${to}.`,
      param: 'status',
    });
  }
  await store.insertEvent(tx, {
    incident_id: record.id,
    at: deps.clock.now(),
    actor_type: change.actor.type,
    actor_id: change.actor.id ?? null,
    kind: 'status_changed',
    detail: { from, to, reason },
  });
  await deps.audit.append(tx, [
    {
      action: 'incidents.incident.status_changed',
      actor: change.actor,
      subject: { type: 'incident', id: record.id },
      outcome: 'success',
      detail: { from, to, reason },
    },
  ]);
  return { from, to };
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
