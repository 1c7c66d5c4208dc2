import type { Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { append } from './audit.ts';
import type { AuditEntryInput } from './chain.ts';

// Audit: the append-only, hash-chained record of who did what, to what, from where, and
// how it ended.
//
// Glossary
// - entry: one recorded event, numbered by seq (1, 2, 3, … with no gaps).
// - chain: each entry's hash covers the previous entry's hash and the entry itself.
// - head: the newest entry's seq and hash (table audit_head).
// - checkpoint: an Ed25519 signature over (seq, head hash), exportable off the host.

export type { AuditEntryInput, AuditEntry, ActorType, Outcome } from './chain.ts';
export { canonicalJson, entryHash, checkpointMessage, GENESIS_HASH } from './chain.ts';

export interface Audit {
  /** Appends entries within the caller's transaction. */
  append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void>;
}

export interface AuditDeps {
  clock: Clock;
}

export function createAudit(deps: AuditDeps): Audit {
  return {
    append: (tx, entries) => append(tx, deps.clock, entries),
  };
}
