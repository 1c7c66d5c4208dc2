import { BinaryRows, type Db, type Fragment, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import {
  canonicalDetail,
  type AuditEntry,
  type AuditEntryInput,
  type EntryFields,
} from './chain.ts';
import * as store from './store.ts';

/** Actions are dotted lower-case names, module first: `ledger.transfer.posted`. */
const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Appends of at most this many entries are one INSERT, pipelined like any statement; larger
 * ones stream a binary COPY, which must have the connection to itself.
 */
export const INSERT_ENTRIES_MAX = 64;

/**
 * Writes entries inside the caller's transaction, so the change being audited and its
 * entries commit or roll back together. They are written unchained and lock nothing shared;
 * the chainer numbers and hashes them once committed (audit_chain, migration 0026), so
 * concurrent appenders never queue on the chain head.
 */
export async function append(
  tx: Tx,
  clock: Clock,
  inputs: readonly AuditEntryInput[],
): Promise<void> {
  if (inputs.length === 0) return;
  const at = clock.now();
  if (inputs.length <= INSERT_ENTRIES_MAX) {
    await store.entriesInsert(tx, at, inputs.map(entryFields));
    return;
  }
  await store.copyEntries(tx, copyRows(inputs, at.getTime()));
}

/**
 * The same append as an INSERT made but not sent, for the caller to send inside a statement
 * of its own (as a WITH item) in tx: the writes being audited and their entries then cost
 * one statement. At most INSERT_ENTRIES_MAX entries.
 */
export function appendStatement(
  tx: Db,
  clock: Clock,
  inputs: readonly AuditEntryInput[],
): Fragment {
  assert(
    inputs.length > 0 && inputs.length <= INSERT_ENTRIES_MAX,
    `an append inside a statement holds 1..${INSERT_ENTRIES_MAX} entries`,
  );
  return store.entriesInsert(tx, clock.now(), inputs.map(entryFields));
}

/**
 * The entries as binary COPY rows, made a chunk at a time as the COPY asks for them, so the
 * server inserts one chunk while Node scrubs and formats the next.
 */
function* copyRows(inputs: readonly AuditEntryInput[], atMs: number): Generator<Buffer> {
  const out = new BinaryRows();
  for (let from = 0; from < inputs.length; from += store.COPY_CHUNK_ENTRIES) {
    const to = Math.min(inputs.length, from + store.COPY_CHUNK_ENTRIES);
    for (let i = from; i < to; i++) store.writeRow(out, atMs, entryFields(inputs[i]!));
    yield out.take();
  }
}

/** Entries one audit_chain() statement chains at most, bounding its time and memory. */
const CHAIN_ENTRIES_MAX = 10_000;

/**
 * Chains every entry committed before the call, waiting for a chainer in another session to
 * finish first: what readers of the chain (verify, checkpoints, listings) run before they
 * read, so they see what was appended before them.
 */
export async function chainAll(db: Db): Promise<void> {
  while ((await store.chainEntries(db, CHAIN_ENTRIES_MAX, true)) === CHAIN_ENTRIES_MAX);
}

/**
 * The chainer of one process: after an append it runs audit_chain() within delayMs, and
 * again while runs find entries (more transactions committed meanwhile) or find another
 * session chaining (which may have missed entries committed after it started). It stops at
 * a run that finds nothing; an entry committed later than that, or whose process ended
 * first, is chained by the next append's run or by the checkpoint timer (chainAll).
 */
export interface Chainer {
  /** Called after an append: a run is due within delayMs. */
  soon(): void;
  /** Waits for a run in progress. */
  idle(): Promise<void>;
}

export function createChainer(db: Db, delayMs: number, log?: Logger): Chainer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const schedule = () => {
    if (running) again = true;
    if (timer || running) return;
    timer = setTimeout(run, delayMs);
    // Chaining alone must not keep a process alive that is otherwise shutting down.
    timer.unref();
  };
  const run = () => {
    timer = undefined;
    again = false;
    running = store
      .chainEntries(db, CHAIN_ENTRIES_MAX, false)
      .then((n) => {
        again ||= n !== 0;
      })
      .catch((err: unknown) => log?.warn({ err }, 'audit chaining failed; retried later'))
      .finally(() => {
        running = undefined;
        if (again) schedule();
      });
  };
  return {
    soon: schedule,
    idle: async () => {
      while (running || timer) await (running ?? new Promise((r) => setTimeout(r, delayMs)));
    },
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
