import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import {
  checkOwner,
  enqueue,
  ENQUEUE_BATCH_SIZE_MAX,
  errorText,
  PermanentFailure,
  retryPayloadJson,
  RETRY_SECONDS_BASE_DEFAULT,
  RETRY_SECONDS_MAX_DEFAULT,
  takenEvent,
  toEvent,
  type NewEvent,
  type OutboxDeps,
  type OutboxEvent,
} from './outbox.ts';
import * as store from './store.ts';
import { runTakingWorker, runWorker, type WorkerOptions } from './worker.ts';

// Outbox: events recorded in the same transaction as the change they describe, and
// delivered afterwards by workers (webhooks, notifications, e-mail).
//
// Glossary
// - event: one row to deliver: a topic, an optional key, a JSON payload.
// - topic: what the event is about, dotted lower-case (`webhook.payment.succeeded`).
// - claim: a worker takes events for itself; many workers claim at once and never share one.
// - lease: a claim lasts leaseSeconds; when it runs out the event may be claimed again.
// - owner: the name of the worker holding a lease; only the owner may complete or fail it.
// - attempt: one failed delivery (fail(), or a lease that ran out); the next waits longer.
// - dead: an event that used up outboxAttemptsMax attempts, or failed with a PermanentFailure;
//   kept for operators, never retried.
// - delivered: completed by its owner, and deleted: the outbox holds only pending and dead
//   events (the record of what happened is the audit log and the modules' own tables).
// - batch: the events of one claim; a batch handler takes them together and they are
//   completed with one statement. A batch that fails is handled again one event at a time.
// - take: claim and complete at once, in the handler's own transaction (a delete), for
//   handlers whose whole work is database work; no lease (worker.ts).

export { PermanentFailure, type NewEvent, type OutboxEvent } from './outbox.ts';
export type { BatchFailures } from './worker.ts';

interface ClaimOptions {
  /** Topics to claim; all topics when absent. */
  topics?: readonly string[] | undefined;
  max: number;
  leaseSeconds: number;
  owner: string;
}

type CompleteResult = 'completed' | 'lease_lost';
type FailResult = 'retry_scheduled' | 'dead' | 'lease_lost';

interface TopicStats {
  topic: string;
  /** Claimable now (including events whose lease ran out). */
  ready: number;
  /** Held by a worker under a live lease. */
  leased: number;
  /** Waiting for their available_at (scheduled, or backing off after a failure). */
  waiting: number;
  dead: number;
  /** How long the oldest ready event has waited; 0 when none is ready. */
  oldestReadySeconds: number;
}

export interface Outbox {
  /** Records events in the caller's transaction; returns their ids in order. */
  enqueue(tx: Tx, events: readonly NewEvent[]): Promise<bigint[]>;
  claim(options: ClaimOptions): Promise<OutboxEvent[]>;
  complete(id: bigint, owner: string): Promise<CompleteResult>;
  /**
   * Completes many leased events with one statement; returns the ids completed, in id order.
   * The others answer as `complete` would with `lease_lost`: another worker holds them now.
   */
  completeMany(ids: readonly bigint[], owner: string): Promise<bigint[]>;
  /**
   * Fails an attempt; the next waits retryAfterSeconds (default 10) × 2^(failures so far).
   * A PermanentFailure makes the event dead at once. An error that carries `retryPayload`
   * (an object) retries the event with that payload instead: what is left to do of it, when
   * part of it was done.
   */
  fail(id: bigint, owner: string, error: unknown, retryAfterSeconds?: number): Promise<FailResult>;
  /** Gives leased events back without counting an attempt. */
  release(ids: readonly bigint[], owner: string): Promise<void>;
  stats(): Promise<TopicStats[]>;
  /**
   * Hands one topic's ready events to send, oldest id first, a batch at a time and one process
   * at a time (another process draining the topic makes this return 0 at once). Each batch is
   * deleted in the transaction that sent it: a send that throws leaves the batch where it was,
   * with no attempt counted (a collector that is down is waited out, never given up on), and
   * the error is thrown. Returns how many events were sent.
   */
  drainInOrder(
    topic: string,
    batchSize: number,
    send: (events: readonly OutboxEvent[]) => Promise<void>,
  ): Promise<number>;
  /**
   * Claims and handles events until options.signal aborts: a whole batch at once with
   * options.batchHandler when given, each event alone with options.handler otherwise; or,
   * with options.inTransaction, takes them in the transaction that handles them.
   */
  runWorker(options: WorkerOptions): Promise<void>;
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { sql, clock, limits } = deps;
  const retrySecondsMax = limits.outboxRetrySecondsMax ?? RETRY_SECONDS_MAX_DEFAULT;
  const leaseDefaults = {
    batchSize: limits.outboxClaimBatchSizeMax,
    leaseSeconds: limits.outboxLeaseSecondsMax,
  };
  const outbox: Outbox = {
    enqueue: (tx, events) => enqueue(tx, clock, events),
    claim: async (o) => {
      checkOwner(o.owner);
      assert(o.max >= 1 && o.max <= limits.outboxClaimBatchSizeMax, 'claim max out of range');
      assert(
        o.leaseSeconds > 0 && o.leaseSeconds <= limits.outboxLeaseSecondsMax,
        'claim leaseSeconds out of range',
      );
      const now = clock.now();
      const rows = await store.claim(sql, {
        topics: o.topics === undefined ? null : o.topics,
        max: o.max,
        owner: o.owner,
        now,
        leaseUntil: new Date(now.getTime() + o.leaseSeconds * 1000),
        attemptsMax: limits.outboxAttemptsMax,
      });
      return rows.map(toEvent);
    },
    complete: async (id, owner) =>
      (await store.complete(sql, id, owner)) ? 'completed' : 'lease_lost',
    completeMany: async (ids, owner) => {
      checkOwner(owner);
      assert(ids.length <= ENQUEUE_BATCH_SIZE_MAX, `at most ${ENQUEUE_BATCH_SIZE_MAX} ids`);
      return store.completeMany(sql, ids, owner);
    },
    fail: async (id, owner, error, retryAfterSeconds) => {
      const base = retryAfterSeconds ?? RETRY_SECONDS_BASE_DEFAULT;
      assert(base > 0 && base <= retrySecondsMax, 'retryAfterSeconds out of range');
      const r = await store.fail(sql, {
        id,
        owner,
        retryPayloadJson: retryPayloadJson(error),
        now: clock.now(),
        error: errorText(error),
        retrySecondsBase: base,
        retrySecondsMax,
        attemptsMax: attemptsMaxFor(error, limits.outboxAttemptsMax),
      });
      return r === null ? 'lease_lost' : r.dead ? 'dead' : 'retry_scheduled';
    },
    release: (ids, owner) => store.release(sql, ids, owner),
    stats: async () => {
      const now = clock.nowMs();
      return (await store.stats(sql, new Date(now))).map((r) => ({
        topic: r.topic,
        ready: Number(r.ready),
        leased: Number(r.leased),
        waiting: Number(r.waiting),
        dead: Number(r.dead),
        oldestReadySeconds: r.oldest_ready_at ? (now - r.oldest_ready_at.getTime()) / 1000 : 0,
      }));
    },
    drainInOrder: (topic, batchSize, send) => drainInOrder(deps, topic, batchSize, send),
    runWorker: (options) =>
      options.inTransaction
        ? runTaking(deps, options)
        : runWorker(outbox, leaseDefaults, options, deps.log),
  };
  return outbox;
}

/** A permanent failure's event has no attempts left: this one dead-letters it. */
function attemptsMaxFor(error: unknown, attemptsMax: number): number {
  return error instanceof PermanentFailure ? 0 : attemptsMax;
}

/** A worker that takes its events in the transaction that handles them (worker.ts). */
function runTaking(deps: OutboxDeps, options: WorkerOptions): Promise<void> {
  const { sql, clock, limits } = deps;
  const retrySecondsMax = limits.outboxRetrySecondsMax ?? RETRY_SECONDS_MAX_DEFAULT;
  checkOwner(options.owner);
  const topic = options.topics?.[0];
  assert(topic !== undefined && options.topics?.length === 1, 'take one topic per worker');
  const port = {
    begin: <T>(fn: (tx: Tx) => Promise<T>) => sql.begin(fn) as Promise<T>,
    take: async (tx: Tx, max: number) => {
      const now = clock.now();
      return (await store.take(tx, { topic, max, now })).map((r) => takenEvent(r, now));
    },
    failTaken: (id: bigint, error: unknown, retryAfterSeconds?: number) => {
      const base = retryAfterSeconds ?? RETRY_SECONDS_BASE_DEFAULT;
      assert(base > 0 && base <= retrySecondsMax, 'retryAfterSeconds out of range');
      return store.failTaken(sql, {
        id,
        now: clock.now(),
        error: errorText(error),
        retrySecondsBase: base,
        retrySecondsMax,
        attemptsMax: attemptsMaxFor(error, limits.outboxAttemptsMax),
      });
    },
  };
  // A taken batch holds no lease that could run out while it is handled, and each batch
  // costs its statements and a commit whatever its size: takers may take more at once.
  const takeMax = limits.outboxTakeBatchSizeMax ?? limits.outboxClaimBatchSizeMax;
  const batchSize = options.batchSize ?? takeMax;
  assert(batchSize >= 1 && batchSize <= takeMax, 'batch out of range');
  return runTakingWorker(port, batchSize, options, deps.log);
}

/** Outbox.drainInOrder: a batch per transaction until a batch comes back short. */
async function drainInOrder(
  deps: OutboxDeps,
  topic: string,
  batchSize: number,
  send: (events: readonly OutboxEvent[]) => Promise<void>,
): Promise<number> {
  const { sql, clock, limits } = deps;
  assert(batchSize >= 1 && batchSize <= limits.outboxClaimBatchSizeMax, 'batch out of range');
  let sent = 0;
  for (;;) {
    const n = await sql.begin(async (tx) => {
      const now = clock.now();
      const rows = await store.takeInOrder(tx, { topic, max: batchSize, now });
      if (!rows || rows.length === 0) return 0;
      await send(rows.map((r) => takenEvent(r, now)));
      return rows.length;
    });
    sent += n;
    if (n < batchSize) return sent;
  }
}
