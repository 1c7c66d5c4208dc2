import type { Db, Tx } from '../db/index.ts';
import type { AuditEntry } from './chain.ts';

// The only file of the audit module that speaks SQL.

export async function lockHead(tx: Tx): Promise<{ seq: bigint; hash: Buffer }> {
  const [row] = await tx<{ seq: bigint; hash: Buffer }[]>`
    select seq, hash from audit_head where singleton for update`;
  if (!row) throw new Error('audit_head row is missing: migrations not applied?');
  return row;
}

export async function insertEntries(tx: Tx, entries: AuditEntry[], head: { seq: bigint; hash: Buffer }) {
  if (entries.length === 0) return;
  const col = <K extends keyof AuditEntry>(k: K) => entries.map((e) => e[k]);
  await tx`
    insert into audit_entries (seq, at, actor_type, actor_id, action, subject_type, subject_id,
                               source_ip, request_id, outcome, detail, prev_hash, hash)
    select s, at, aty, aid, act, sty, sid, ip, rid, outc, det, decode(ph, 'hex'), decode(h, 'hex')
    from unnest(
      ${col('seq').map(String)}::int8[], ${col('at').map((d) => d.toISOString())}::timestamptz[],
      ${col('actorType')}::text[], ${col('actorId')}::text[], ${col('action')}::text[],
      ${col('subjectType')}::text[], ${col('subjectId')}::text[], ${col('sourceIp')}::text[],
      ${col('requestId')}::text[], ${col('outcome')}::text[], ${col('detail')}::text[],
      ${col('prevHash').map(hex)}::text[], ${col('hash').map(hex)}::text[])
      as u(s, at, aty, aid, act, sty, sid, ip, rid, outc, det, ph, h)`;
  await tx`update audit_head set seq = ${head.seq.toString()}::int8, hash = ${head.hash} where singleton`;
}

function hex(b: Buffer): string {
  return b.toString('hex');
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
    select * from audit_entries where seq > ${afterSeq.toString()}::int8 order by seq limit ${limit}`;
  return rows.map(fromRow);
}
