import { createHash } from 'node:crypto';

// The pure part of the audit log: the canonical form of an entry and the hash chain.
// hash(n) = SHA-256( hash(n-1) || canonical(entry n) ), with hash(0) = 32 zero bytes.

export const GENESIS_HASH = Buffer.alloc(32);

export type ActorType = 'system' | 'customer' | 'operator' | 'merchant' | 'api_key' | 'terminal' | 'cli';
export type Outcome = 'success' | 'failure' | 'denied';

/** What a caller records: what happened, who did it, to what, from where, and how it ended. */
export interface AuditEntryInput {
  action: string;
  actor: { type: ActorType; id?: string | undefined };
  subject?: { type: string; id: string } | undefined;
  source?: { ip?: string | undefined; requestId?: string | undefined } | undefined;
  outcome: Outcome;
  /** Plain JSON detail; bigint values are written as decimal strings. Never secrets. */
  detail?: Record<string, unknown> | undefined;
}

/** An entry as stored. */
export interface AuditEntry {
  seq: bigint;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  sourceIp: string | null;
  requestId: string | null;
  outcome: Outcome;
  detail: string;
  prevHash: Buffer;
  hash: Buffer;
}

/** JSON with object keys sorted at every level, bigint as decimal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('audit detail numbers must be finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw new Error(`audit detail cannot hold a ${typeof value}`);
}

type Hashable = Omit<AuditEntry, 'prevHash' | 'hash'>;

export function entryHash(prevHash: Buffer, e: Hashable): Buffer {
  const body = JSON.stringify([
    e.seq.toString(),
    e.at.toISOString(),
    e.actorType,
    e.actorId,
    e.action,
    e.subjectType,
    e.subjectId,
    e.sourceIp,
    e.requestId,
    e.outcome,
    e.detail,
  ]);
  return createHash('sha256').update(prevHash).update(body).digest();
}

/** The message an Ed25519 checkpoint signs: the chain's length and head. */
export function checkpointMessage(seq: bigint, headHash: Buffer): Buffer {
  return Buffer.from(`kinko-audit-checkpoint:v1:${seq.toString()}:${headHash.toString('hex')}`);
}
