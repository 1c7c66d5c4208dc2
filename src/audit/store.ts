import {
  binaryCopy,
  copyIn,
  type BinaryRows,
  type Db,
  type Fragment,
  type Tx,
} from '../db/index.ts';
import type { AuditEntry, CheckpointRecord, EntryFields } from './chain.ts';

// The only file of the audit module that speaks SQL.

/** Entries per chunk of an append's COPY: the server inserts one while Node makes the next. */
export const COPY_CHUNK_ENTRIES = 1024;

export interface Head {
  seq: bigint;
  hash: Buffer;
}

/**
 * Inserts unchained entries (no seq, no hashes) already encoded for binary COPY (see
 * writeRow). Nothing shared is locked: audit_chain() numbers and hashes them after commit.
 */
export async function copyEntries(tx: Tx, chunks: Iterable<Buffer>): Promise<void> {
  await copyIn(
    tx`copy audit_entries (at, actor_type, actor_id, action, subject_type, subject_id,
                           source_ip, request_id, outcome, detail)
       from stdin (format binary)`,
    binaryCopy(chunks),
  );
}

/**
 * A few unchained entries as one INSERT, made but not sent: the caller sends it alone or
 * inside its own statement. Unlike COPY it needs no round trip of its own, so it is
 * pipelined behind the caller's statements.
 */
export function entriesInsert(tx: Db, at: Date, fields: readonly EntryFields[]): Fragment {
  const [one] = fields;
  // One entry's values go as plain parameters: a plan made for them (a generic plan, made
  // once per connection) is costed as a plan made for the values, so PostgreSQL keeps the
  // generic one even under plan_cache_mode auto, where an array's unknown length made it
  // look dearer and every run was planned again.
  if (fields.length === 1 && one) {
    return tx`
      insert into audit_entries (at, actor_type, actor_id, action, subject_type, subject_id,
                                 source_ip, request_id, outcome, detail)
      values (${at}::timestamptz, ${one.actorType}::text, ${one.actorId}::text,
              ${one.action}::text, ${one.subjectType}::text, ${one.subjectId}::text,
              ${one.sourceIp}::text, ${one.requestId}::text, ${one.outcome}::text,
              ${one.detail}::text)`;
  }
  const col = (pick: (f: EntryFields) => string | null) => fields.map(pick);
  // The arrays are unnested in the select list, in step, not in FROM: there each would be a
  // function scan that first copies its rows into a tuplestore of its own (16 kB each,
  // malloc'd and freed by every append; perf showed it among PostgreSQL's largest costs of
  // a one-transfer ledger transaction). All arrays have one length, so both forms give the
  // same rows.
  return tx`
    insert into audit_entries (at, actor_type, actor_id, action, subject_type, subject_id,
                               source_ip, request_id, outcome, detail)
    select ${at}::timestamptz,
      unnest(${col((f) => f.actorType)}::text[]), unnest(${col((f) => f.actorId)}::text[]),
      unnest(${col((f) => f.action)}::text[]), unnest(${col((f) => f.subjectType)}::text[]),
      unnest(${col((f) => f.subjectId)}::text[]), unnest(${col((f) => f.sourceIp)}::text[]),
      unnest(${col((f) => f.requestId)}::text[]), unnest(${col((f) => f.outcome)}::text[]),
      unnest(${col((f) => f.detail)}::text[])`;
}

/** Writes one unchained entry as a binary COPY row, in copyEntries' column order. */
export function writeRow(out: BinaryRows, atMs: number, e: EntryFields): void {
  out
    .row(10)
    .timestamptz(atMs)
    .text(e.actorType)
    .text(e.actorId)
    .text(e.action)
    .text(e.subjectType)
    .text(e.subjectId)
    .text(e.sourceIp)
    .text(e.requestId)
    .text(e.outcome)
    .text(e.detail);
}

/**
 * Chains up to entriesMax committed unchained entries in one statement (audit_chain, in
 * migration 0026): the head is locked only while the server runs it and commits. Returns
 * how many; -1 when wait is false and another session is chaining.
 */
export async function chainEntries(db: Db, entriesMax: number, wait: boolean): Promise<number> {
  const [row] = await db<{ n: bigint }[]>`select audit_chain(${entriesMax}, ${wait}) as n`;
  return Number(row?.n ?? 0n);
}

/**
 * Entries written but not chained yet with id > afterId, in write order, at most limit; their
 * seq and hashes are stand-ins (0 and empty) until they are chained.
 */
export async function readUnchainedEntries(
  db: Db,
  afterId: bigint,
  limit: number,
): Promise<{ id: bigint; entry: AuditEntry }[]> {
  const rows = await db<(Omit<EntryRow, 'seq' | 'prev_hash' | 'hash'> & { id: bigint })[]>`
    select id, at, actor_type, actor_id, action, subject_type, subject_id, source_ip,
           request_id, outcome, detail
    from audit_entries
    where seq is null and id > ${afterId.toString()}::int8 order by id limit ${limit}`;
  const none = Buffer.alloc(0);
  return rows.map((r) => ({
    id: r.id,
    entry: fromRow({ ...r, seq: 0n, prev_hash: none, hash: none }),
  }));
}

/** How many entries are written but not chained yet. */
export async function countUnchained(db: Db): Promise<bigint> {
  const [row] = await db<{ n: bigint }[]>`
    select count(*)::int8 as n from audit_entries where seq is null`;
  return row?.n ?? 0n;
}

/** When the newest checkpoint was signed (the highest seq's), or null before the first. */
export async function newestCheckpointAt(db: Db): Promise<Date | null> {
  const [row] = await db<{ created_at: Date }[]>`
    select created_at from audit_checkpoints order by seq desc limit 1`;
  return row?.created_at ?? null;
}

interface EntryRow {
  seq: bigint;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  outcome: AuditEntry['outcome'];
  detail: string;
  prev_hash: Buffer;
  hash: Buffer;
}

export function fromRow(r: EntryRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    sourceIp: r.source_ip,
    requestId: r.request_id,
    outcome: r.outcome,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Entries with seq > afterSeq in seq order, at most limit of them. */
export async function readEntries(db: Db, afterSeq: bigint, limit: number): Promise<AuditEntry[]> {
  const rows = await db<EntryRow[]>`
    select * from audit_entries
    where seq > ${afterSeq.toString()}::int8 order by seq limit ${limit}`;
  return rows.map(fromRow);
}

/** Entries with afterSeq < seq <= uptoSeq in seq order, at most limit of them. */
export async function readEntriesUpTo(
  db: Db,
  afterSeq: bigint,
  uptoSeq: bigint,
  limit: number,
): Promise<AuditEntry[]> {
  const rows = await db<EntryRow[]>`
    select * from audit_entries
    where seq > ${afterSeq.toString()}::int8 and seq <= ${uptoSeq.toString()}::int8
    order by seq limit ${limit}`;
  return rows.map(fromRow);
}

export interface EntryFilter {
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  actorType?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  afterSeq?: bigint | undefined;
  limit: number;
}

/** Entries matching every given field, oldest first, for operators paging with afterSeq. */
export async function listEntries(db: Db, f: EntryFilter): Promise<AuditEntry[]> {
  // Each absent field drops its condition from the statement, so the planner can use the
  // (subject), (actor) or (action) index rather than a generic "x is null or" plan.
  const eq = (column: string, value: string | undefined) =>
    value === undefined ? db`` : db`and ${db(column)} = ${value}`;
  const rows = await db<EntryRow[]>`
    select * from audit_entries
    where seq > ${(f.afterSeq ?? 0n).toString()}::int8
      ${eq('subject_type', f.subjectType)} ${eq('subject_id', f.subjectId)}
      ${eq('actor_type', f.actorType)} ${eq('actor_id', f.actorId)} ${eq('action', f.action)}
    order by seq limit ${f.limit}`;
  return rows.map(fromRow);
}

export async function readHead(db: Db): Promise<{ seq: bigint; hash: Buffer }> {
  const [row] = await db<{ seq: bigint; hash: Buffer }[]>`
    select seq, hash from audit_head where singleton`;
  if (!row) throw new Error('audit_head row is missing: migrations not applied?');
  return row;
}

interface CheckpointRow {
  seq: bigint;
  head_hash: Buffer;
  key_id: string;
  public_key: Buffer;
  signature: Buffer;
  created_at: Date;
}

function checkpointFromRow(r: CheckpointRow): CheckpointRecord {
  return {
    seq: r.seq,
    headHash: r.head_hash,
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
    createdAt: r.created_at,
  };
}

/** Checkpoints with afterSeq < seq <= uptoSeq in seq order, at most limit of them. */
export async function readCheckpoints(
  db: Db,
  afterSeq: bigint,
  uptoSeq: bigint,
  limit: number,
): Promise<CheckpointRecord[]> {
  const rows = await db<CheckpointRow[]>`
    select * from audit_checkpoints
    where seq > ${afterSeq.toString()}::int8 and seq <= ${uptoSeq.toString()}::int8
    order by seq limit ${limit}`;
  return rows.map(checkpointFromRow);
}

/** The lock that serialises checkpoint writers: "audit_ck" in ASCII. */
const CHECKPOINT_LOCK_KEY = 0x61756469745f636bn;

/** Takes the checkpoint writers' lock until the transaction ends; false if another holds it. */
export async function tryCheckpointLock(tx: Tx): Promise<boolean> {
  const [row] = await tx<{ locked: boolean }[]>`
    select pg_try_advisory_xact_lock(${CHECKPOINT_LOCK_KEY.toString()}::int8) as locked`;
  return row?.locked === true;
}

export async function lastCheckpoint(db: Db): Promise<CheckpointRecord | null> {
  const [row] = await db<CheckpointRow[]>`
    select * from audit_checkpoints order by seq desc limit 1`;
  return row ? checkpointFromRow(row) : null;
}

/** Inserts a checkpoint; null when another process already signed this seq. */
export async function insertCheckpoint(
  db: Db,
  c: CheckpointRecord,
): Promise<CheckpointRecord | null> {
  const [row] = await db<CheckpointRow[]>`
    insert into audit_checkpoints (seq, head_hash, key_id, public_key, signature, created_at)
    values (${c.seq.toString()}::int8, ${c.headHash}, ${c.keyId}, ${c.publicKey}, ${c.signature},
            ${c.createdAt})
    on conflict (seq) do nothing
    returning *`;
  return row ? checkpointFromRow(row) : null;
}

/** How many checkpoints have afterSeq < seq <= uptoSeq. */
export async function countCheckpoints(db: Db, afterSeq: bigint, uptoSeq: bigint): Promise<bigint> {
  const [row] = await db<{ n: bigint }[]>`
    select count(*)::int8 as n from audit_checkpoints
    where seq > ${afterSeq.toString()}::int8 and seq <= ${uptoSeq.toString()}::int8`;
  return row?.n ?? 0n;
}

/** Of these subject ids, those that some entry of this subject type names. */
export async function subjectsWithEntries(
  db: Db,
  subjectType: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  // The subject index holds chained entries only (migration 0048); entries not chained yet
  // are few, and found through the sequencer's index of them.
  const rows = await db<{ subject_id: string }[]>`
    select subject_id from audit_entries
    where subject_type = ${subjectType} and subject_id = any(${ids as string[]}::text[])
      and seq is not null
    union
    select subject_id from audit_entries
    where seq is null
      and subject_type = ${subjectType} and subject_id = any(${ids as string[]}::text[])`;
  return new Set(rows.map((r) => r.subject_id));
}
