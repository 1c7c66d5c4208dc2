import type { Db, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import {
  bodyTail,
  canonicalDetail,
  chainHashes,
  type AuditEntry,
  type AuditEntryInput,
  type EntryFields,
} from './chain.ts';
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
  // Everything that does not depend on the chain is done before the head is locked, so
  // concurrent appenders wait only for the hashing and the insert.
  const fields = inputs.map(entryFields);
  const tails = fields.map(bodyTail);
  const head = await store.lockHead(tx);
  const at = clock.now();
  let seq = head.seq;
  let prevHash = head.hash;
  // Hashed chunk by chunk as the COPY asks for rows, so the server inserts one chunk while
  // the next is hashed.
  function* chained(): Generator<AuditEntry[]> {
    for (let from = 0; from < fields.length; from += store.COPY_CHUNK_ENTRIES) {
      const to = Math.min(fields.length, from + store.COPY_CHUNK_ENTRIES);
      const hashes = chainHashes(prevHash, seq + 1n, at, tails.slice(from, to));
      const chunk = new Array<AuditEntry>(to - from);
      for (let i = from; i < to; i++) {
        const hash = hashes[i - from]!;
        seq += 1n;
        chunk[i - from] = chainedEntry(fields[i]!, seq, at, prevHash, hash);
        prevHash = hash;
      }
      yield chunk;
    }
  }
  await store.insertEntries(tx, chained(), () => ({ seq, hash: prevHash }));
  assert(seq === head.seq + BigInt(inputs.length), 'every audit entry was chained');
}

function chainedEntry(
  f: EntryFields,
  seq: bigint,
  at: Date,
  prevHash: Buffer,
  hash: Buffer,
): AuditEntry {
  // Spelled out rather than spread: this runs for every entry of a batch.
  return {
    seq,
    at,
    actorType: f.actorType,
    actorId: f.actorId,
    action: f.action,
    subjectType: f.subjectType,
    subjectId: f.subjectId,
    sourceIp: f.sourceIp,
    requestId: f.requestId,
    outcome: f.outcome,
    detail: f.detail,
    prevHash,
    hash,
  };
}

let lastAction = '';

function entryFields(input: AuditEntryInput): EntryFields {
  // Batches repeat one action; the pattern is checked again only when it changes.
  if (input.action !== lastAction) {
    assert(ACTION_RE.test(input.action), `bad audit action ${input.action}`);
    lastAction = input.action;
  }
  return {
    actorType: input.actor.type,
    actorId: input.actor.id ?? null,
    action: input.action,
    subjectType: input.subject?.type ?? null,
    subjectId: input.subject?.id ?? null,
    sourceIp: input.source?.ip ?? null,
    requestId: input.source?.requestId ?? null,
    outcome: input.outcome,
    // Detail is scrubbed like a log line: an entry must never carry a secret or card data.
    detail: canonicalDetail(input.detail),
  };
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
