import type { Db, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { scrub } from '../lib/redact.ts';
import { canonicalJson, entryHash, type AuditEntry, type AuditEntryInput } from './chain.ts';
import * as store from './store.ts';

/** Actions are dotted lower-case names, module first: `ledger.transfer.posted`. */
const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Appends entries to the chain inside the caller's transaction, so the change being
 * audited and its entries commit or roll back together. The head row lock serialises
 * appenders; callers append last, just before commit, to hold it briefly.
 */
export async function append(
  tx: Tx,
  clock: Clock,
  inputs: readonly AuditEntryInput[],
): Promise<void> {
  if (inputs.length === 0) return;
  const head = await store.lockHead(tx);
  const at = clock.now();
  let prev = head.hash;
  let seq = head.seq;
  const entries: AuditEntry[] = [];
  for (const input of inputs) {
    assert(ACTION_RE.test(input.action), `bad audit action ${input.action}`);
    seq += 1n;
    const base = {
      seq,
      at,
      actorType: input.actor.type,
      actorId: input.actor.id ?? null,
      action: input.action,
      subjectType: input.subject?.type ?? null,
      subjectId: input.subject?.id ?? null,
      sourceIp: input.source?.ip ?? null,
      requestId: input.source?.requestId ?? null,
      outcome: input.outcome,
      // Detail is scrubbed like a log line: an entry must never carry a secret or card data.
      detail: canonicalJson(scrub(input.detail ?? {})),
    };
    const hash = entryHash(prev, base);
    entries.push({ ...base, prevHash: prev, hash });
    prev = hash;
  }
  await store.insertEntries(tx, entries, { seq, hash: prev });
}

/** Most entries one listEntries() call returns; operators page on with afterSeq. */
export const LIST_ENTRIES_MAX = 1000;

export async function listEntries(db: Db, filter: store.EntryFilter): Promise<AuditEntry[]> {
  assert(
    Number.isInteger(filter.limit) && filter.limit > 0 && filter.limit <= LIST_ENTRIES_MAX,
    `audit list limit must be 1..${LIST_ENTRIES_MAX}`,
  );
  return store.listEntries(db, filter);
}
