import type { Db, Tx } from '../db/index.ts';

// The incidents module's only SQL. The timeline (incidents_events) is insert-only and the
// record (incidents_records) is its current state, written by the timeline's trigger
// (migration 0016): this file inserts events and reads both, and never writes a record.

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Status = 'open' | 'contained' | 'closed';

export interface IncidentRow {
  id: string;
  kind: string;
  severity: Severity;
  status: Status;
  summary: string;
  detail: Record<string, unknown>;
  opened_at: Date;
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

/** Appends one event; the database applies it to the record (opened, status_changed). */
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

/** One incident's events, oldest first. */
export async function listEvents(db: Db, incidentId: string, limit: number): Promise<EventRow[]> {
  return db<EventRow[]>`
    select * from incidents_events where incident_id = ${incidentId}
    order by seq limit ${limit}`;
}
