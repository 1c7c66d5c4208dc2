import type { Db, Tx } from '../db/index.ts';
import type { Severity, Status } from './incident.ts';

// The incidents module's only SQL. The timeline (incidents_events) is insert-only and the
// record (incidents_records) is its current state, written by the timeline's trigger
// (migrations 0016, 0029): this file inserts events and reads both, and never writes a record.

export type { Severity, Status };

export interface IncidentRow {
  id: string;
  kind: string;
  title: string;
  severity: Severity;
  status: Status;
  summary: string;
  detail: Record<string, unknown>;
  owner_id: string | null;
  detector: string | null;
  detector_key: string | null;
  signals: number;
  opened_at: Date;
  last_signal_at: Date;
  updated_at: Date;
}

export interface EventRow {
  seq: bigint;
  incident_id: string;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

type Json = Parameters<Tx['json']>[0];

/** Appends one event; the database applies it to the record (migration 0029). */
export async function insertEvent(tx: Tx, e: Omit<EventRow, 'seq'>): Promise<bigint> {
  const [row] = await tx<{ seq: bigint }[]>`
    insert into incidents_events (incident_id, at, actor_type, actor_id, kind, detail)
    values (${e.incident_id}, ${e.at}, ${e.actor_type}, ${e.actor_id}, ${e.kind},
      ${tx.json(e.detail as Json)})
    returning seq`;
  return row!.seq;
}

/** The record, locked until the transaction ends, so a transition reads a status that holds. */
export async function lockIncident(tx: Tx, id: string): Promise<IncidentRow | null> {
  const [row] = await tx<IncidentRow[]>`
    select * from incidents_records where id = ${id} for update`;
  return row ?? null;
}

export async function incidentById(db: Db, id: string): Promise<IncidentRow | null> {
  const [row] = await db<IncidentRow[]>`select * from incidents_records where id = ${id}`;
  return row ?? null;
}

/**
 * Serialises raises of one detector key across transactions and processes until the
 * caller's transaction ends, so two signals at once cannot both open an incident.
 */
export async function lockDetectorKey(tx: Tx, detector: string, key: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`incidents:${detector}:${key}`}, 0))`;
}

/** The open or contained incident raised under this key, if any, locked. */
export async function liveByDetectorKey(
  tx: Tx,
  detector: string,
  key: string,
): Promise<IncidentRow | null> {
  const [row] = await tx<IncidentRow[]>`
    select * from incidents_records
    where detector = ${detector} and detector_key = ${key} and status in ('open', 'contained')
    for update`;
  return row ?? null;
}

/** Newest first; `status` filters; `before` (an opened_at) pages back. */
export async function listIncidents(
  db: Db,
  q: { status: Status | null; before: Date | null; limit: number },
): Promise<IncidentRow[]> {
  return db<IncidentRow[]>`
    select * from incidents_records
    where (${q.status}::text is null or status = ${q.status})
      and (${q.before}::timestamptz is null or opened_at < ${q.before})
    order by opened_at desc, id limit ${q.limit}`;
}

/** One incident's events, oldest first. */
export async function listEvents(db: Db, incidentId: string, limit: number): Promise<EventRow[]> {
  return db<EventRow[]>`
    select * from incidents_events where incident_id = ${incidentId}
    order by seq limit ${limit}`;
}

export interface OpenerRow {
  actor_type: string;
  actor_id: string | null;
  detector: string | null;
  signals: number;
  first_at: Date;
}

/** Who opened or joined the incident: each detector or person once, with its signal count. */
export async function openers(db: Db, incidentId: string): Promise<OpenerRow[]> {
  return db<OpenerRow[]>`
    select actor_type, actor_id, detail ->> 'detector' as detector,
      count(*)::int as signals, min(at) as first_at
    from incidents_events
    where incident_id = ${incidentId} and kind in ('opened', 'signal_joined')
    group by 1, 2, 3 order by first_at`;
}
