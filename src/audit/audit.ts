import { setImmediate } from 'node:timers/promises';
import { BinaryRows, type Db, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import {
  bodyTail,
  canonicalDetail,
  chainHashes,
  GENESIS_HASH,
  type AuditEntry,
  type AuditEntryInput,
  type EntryFields,
} from './chain.ts';
import * as store from './store.ts';

/** Actions are dotted lower-case names, module first: `ledger.transfer.posted`. */
const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * The head this process last wrote. While it is still the head, no one else has appended
 * since, so the next append can hash and format its rows before it locks the head — in
 * Node, while PostgreSQL runs the caller's earlier statements. A guess, always checked
 * against the locked head: when another process (or a rolled-back transaction) moved it,
 * the rows are made again after the lock.
 */
export interface ChainCache {
  head?: store.Head | undefined;
}

/**
 * Appends entries to the chain inside the caller's transaction, so the change being
 * audited and its entries commit or roll back together. The head row lock serialises
 * appenders; callers append last, just before commit, to hold it briefly.
 */
export async function append(
  tx: Tx,
  clock: Clock,
  inputs: readonly AuditEntryInput[],
  cache: ChainCache = {},
): Promise<void> {
  if (inputs.length === 0) return;
  // Everything that does not depend on the chain is done before the head is locked, so
  // concurrent appenders wait only for the hashing and the insert.
  // Large appends work a chunk at a time and let the event loop run in between, so that
  // the caller's statements already sent (a COPY larger than the socket buffer) keep
  // flowing to the server meanwhile.
  const fields: EntryFields[] = [];
  const tails: string[] = [];
  for (let from = 0; from < inputs.length; from += store.COPY_CHUNK_ENTRIES) {
    if (from > 0) await setImmediate();
    for (const input of inputs.slice(from, from + store.COPY_CHUNK_ENTRIES)) {
      const f = entryFields(input);
      fields.push(f);
      tails.push(bodyTail(f));
    }
  }
  const guess = cache.head;
  const end: store.Head = { seq: 0n, hash: GENESIS_HASH };
  let early: Buffer[] | undefined;
  if (guess) {
    early = [];
    for (const chunk of chainRows(fields, tails, guess, clock.now(), end)) {
      early.push(chunk);
      await setImmediate();
    }
  }
  const head = await store.lockHead(tx);
  const hit = guess !== undefined && guess.seq === head.seq && guess.hash.equals(head.hash);
  // On a miss, time is read after the lock, so entries' times follow their seq. On a hit
  // the last entry is this process's own, written before the time read above.
  const rows = hit && early ? early : chainRows(fields, tails, head, clock.now(), end);
  await store.insertRows(tx, rows, () => end);
  assert(end.seq === head.seq + BigInt(inputs.length), 'every audit entry was chained');
  cache.head = { seq: end.seq, hash: end.hash };
}

/**
 * The entries chained after `head` as binary COPY rows, hashed chunk by chunk as the COPY
 * asks for them (so the server inserts one chunk while the next is hashed); `end` follows
 * the last entry made.
 */
function* chainRows(
  fields: readonly EntryFields[],
  tails: readonly string[],
  head: store.Head,
  at: Date,
  end: store.Head,
): Generator<Buffer> {
  const atMs = at.getTime();
  const out = new BinaryRows();
  let seq = head.seq;
  let prev = head.hash;
  for (let from = 0; from < fields.length; from += store.COPY_CHUNK_ENTRIES) {
    const to = Math.min(fields.length, from + store.COPY_CHUNK_ENTRIES);
    const hashes = chainHashes(prev, seq + 1n, at, tails.slice(from, to));
    for (let i = from; i < to; i++) {
      const hash = hashes[i - from]!;
      seq += 1n;
      store.writeRow(out, seq, atMs, fields[i]!, prev, hash);
      prev = hash;
    }
    [end.seq, end.hash] = [seq, prev];
    yield out.take();
  }
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
