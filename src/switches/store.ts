import type { Db, Tx } from '../db/index.ts';
import type { Operation, ScopeType } from './switch.ts';

// The switches module's only SQL. A row is one switch's life (on, lift requested, lifted);
// migration 0031 keeps lifted rows unchangeable and every row undeletable, and holds the
// two-operator rule for lifting too.

/** The channel every process listens on; a change notifies it in its own transaction. */
export const SWITCHES_CHANNEL = 'kinko_switches';

export interface SwitchRow {
  id: string;
  operation: Operation;
  scope_type: ScopeType;
  scope_value: string | null;
  reason: string;
  incident_id: string | null;
  turned_on_by: string;
  turned_on_at: Date;
  lift_requested_by: string | null;
  lift_requested_at: Date | null;
  lift_reason: string | null;
  lifted_by: string | null;
  lifted_at: Date | null;
}

/** Inserts a switch that is on; false when one with the same operation and scope is on. */
export async function insertSwitch(tx: Tx, row: SwitchRow): Promise<boolean> {
  const rows = await tx`
    insert into switches_switches ${tx(row)}
    on conflict (operation, scope_type, coalesce(scope_value, '')) where lifted_at is null
    do nothing returning id`;
  return rows.length === 1;
}

/** The switch, locked until the transaction ends, so a lift reads a state that holds. */
export async function lockSwitch(tx: Tx, id: string): Promise<SwitchRow | null> {
  const [row] = await tx<SwitchRow[]>`select * from switches_switches where id = ${id} for update`;
  return row ?? null;
}

export async function setLiftRequest(
  tx: Tx,
  id: string,
  by: string,
  at: Date,
  reason: string,
): Promise<void> {
  await tx`update switches_switches
    set lift_requested_by = ${by}, lift_requested_at = ${at}, lift_reason = ${reason}
    where id = ${id}`;
}

export async function setLifted(tx: Tx, id: string, by: string, at: Date): Promise<void> {
  await tx`update switches_switches set lifted_by = ${by}, lifted_at = ${at} where id = ${id}`;
}

/** Tells every listening process, at commit, that the switches changed. */
export async function notifyChanged(tx: Tx, id: string): Promise<void> {
  await tx`select pg_notify(${SWITCHES_CHANNEL}, ${id})`;
}

/** The switches that are on now: what every process holds in memory. */
export function switchesOn(db: Db): Promise<SwitchRow[]> {
  return db<SwitchRow[]>`
    select * from switches_switches where lifted_at is null order by turned_on_at, id`;
}

/** Lifted switches, newest first. */
export function switchesLifted(db: Db, limit: number): Promise<SwitchRow[]> {
  return db<SwitchRow[]>`
    select * from switches_switches where lifted_at is not null
    order by lifted_at desc, id limit ${limit}`;
}

export async function switchById(db: Db, id: string): Promise<SwitchRow | null> {
  const [row] = await db<SwitchRow[]>`select * from switches_switches where id = ${id}`;
  return row ?? null;
}

/** Keeps the listening connection talking, so its silence bound never cuts it. */
export async function ping(db: Db): Promise<void> {
  await db`select pg_notify(${SWITCHES_CHANNEL}, 'ping')`;
}
