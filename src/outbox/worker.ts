import { setTimeout as sleep } from 'node:timers/promises';
import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Logger } from '../lib/log.ts';
import type { OutboxEvent } from './outbox.ts';

// The worker loop: claim a batch, hand it to the batch handler (when there is one) or each
// event to the handler, then complete or fail the events. A batch is completed with one
// statement; when the batch handler throws, its events are handled again one at a time, so
// that one bad event is failed and retried alone while the others are delivered. Handlers
// are idempotent (delivery is at least once), which is what makes that second pass safe.
// It stops when its AbortSignal aborts: events claimed but not yet handled are given back
// at once instead of waiting for their lease to run out.
//
// A handler whose whole work is database work (receipts, the webhook fan-out) runs in the
// transaction that takes its events instead (`inTransaction`): the events are deleted in
// that transaction, so work and completion commit together, in one statement where a lease
// costs three (claim, the lease's row version, complete). No lease: a crash rolls the
// transaction back and the events are simply there again. A batch that throws rolls back and
// is taken again one event at a time; an event that throws alone counts a failed attempt
// and backs off, as a leased one would. What a lease adds and this gives up: an event that
// kills the process (not one that throws) comes back without an attempt counted.

/** Shortest and longest pause between empty polls. */
const POLL_MS_MIN = 10;
const POLL_MS_MAX = 60_000;

/** Events of a batch that failed, by id, with their error (which may carry retryAfterSeconds). */
export type BatchFailures = ReadonlyMap<bigint, unknown>;

export interface WorkerOptions {
  /** Topics to claim; all topics when absent (exactly one with `inTransaction`). */
  topics?: readonly string[] | undefined;
  /** Delivers one event. Throw to fail it; an error may carry `retryAfterSeconds`. */
  handler?: ((event: OutboxEvent, signal: AbortSignal) => Promise<void>) | undefined;
  /**
   * Instead of `handler`: handles taken events (one or many) in the transaction that takes
   * them; throw to roll it back (a batch is then taken again one event at a time).
   */
  inTransaction?:
    ((tx: Tx, events: readonly OutboxEvent[], signal: AbortSignal) => Promise<void>) | undefined;
  /**
   * Delivers a batch of events at once, each as `handler` would. Return the events that
   * failed to fail them alone (the rest are completed together); throw to have the whole
   * batch handled again by `handler`, one event at a time. Events already tried before (a
   * failure, or a lease that ran out) skip it: they may be the poison, and go to `handler`.
   */
  batchHandler?:
    | ((events: readonly OutboxEvent[], signal: AbortSignal) => Promise<BatchFailures | void>)
    | undefined;
  owner: string;
  pollMs: number;
  signal: AbortSignal;
  /** Events per claim; defaults to limits.outboxClaimBatchSizeMax. */
  batchSize?: number | undefined;
  /** Lease per claim; defaults to limits.outboxLeaseSecondsMax. */
  leaseSeconds?: number | undefined;
}

interface WorkerPort {
  claim(o: {
    topics?: readonly string[] | undefined;
    max: number;
    leaseSeconds: number;
    owner: string;
  }): Promise<OutboxEvent[]>;
  complete(id: bigint, owner: string): Promise<unknown>;
  completeMany(ids: readonly bigint[], owner: string): Promise<unknown>;
  fail(id: bigint, owner: string, error: unknown, retryAfterSeconds?: number): Promise<unknown>;
  release(ids: readonly bigint[], owner: string): Promise<void>;
}

function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  return typeof value === 'number' && value > 0 ? value : undefined;
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the loop condition sees it and ends.
  }
}

export async function runWorker(
  port: WorkerPort,
  defaults: { batchSize: number; leaseSeconds: number },
  o: WorkerOptions,
  log: Logger | undefined,
): Promise<void> {
  assert(o.pollMs >= POLL_MS_MIN && o.pollMs <= POLL_MS_MAX, 'worker pollMs out of range');
  const claim = {
    topics: o.topics,
    max: o.batchSize ?? defaults.batchSize,
    leaseSeconds: o.leaseSeconds ?? defaults.leaseSeconds,
    owner: o.owner,
  };
  while (!o.signal.aborted) {
    let events: OutboxEvent[];
    try {
      events = await port.claim(claim);
    } catch (err) {
      // The database may be restarting: wait a poll and try again rather than die.
      log?.error({ err, owner: o.owner }, 'outbox claim failed');
      await pause(o.pollMs, o.signal);
      continue;
    }
    if (events.length === 0) {
      await pause(o.pollMs, o.signal);
      continue;
    }
    const left = o.batchHandler ? await handleBatch(port, o, events, log) : events;
    await handleEach(port, o, left, log);
  }
}

/**
 * Gives the first-attempt events of a claim to the batch handler and completes or fails
 * them; returns the events still to handle one at a time (all of them when the batch threw).
 */
async function handleBatch(
  port: WorkerPort,
  o: WorkerOptions,
  events: OutboxEvent[],
  log: Logger | undefined,
): Promise<OutboxEvent[]> {
  const batch = events.filter((e) => e.attempts === 0);
  if (!o.batchHandler || batch.length < 2 || o.signal.aborted) return events;
  let failures: BatchFailures | void;
  try {
    failures = await o.batchHandler(batch, o.signal);
  } catch (err) {
    const context = { err, owner: o.owner, events: batch.length };
    log?.warn(context, 'outbox batch failed; handling its events one at a time');
    return events;
  }
  const done = batch.filter((e) => !failures?.has(e.id)).map((e) => e.id);
  try {
    await port.completeMany(done, o.owner);
  } catch (err) {
    // Delivered but not marked: the leases run out, the events come back, and idempotent
    // handlers see them again. Nothing is lost.
    log?.error({ err, owner: o.owner, events: done.length }, 'outbox batch completion failed');
  }
  for (const e of batch) {
    if (!failures?.has(e.id)) continue;
    const err = failures.get(e.id);
    log?.warn({ err, id: e.id.toString(), topic: e.topic }, 'outbox event failed');
    await port.fail(e.id, o.owner, err, retryAfterOf(err));
  }
  return events.filter((e) => e.attempts > 0);
}

async function handleEach(
  port: WorkerPort,
  o: WorkerOptions,
  events: OutboxEvent[],
  log: Logger | undefined,
): Promise<void> {
  for (const [i, event] of events.entries()) {
    if (o.signal.aborted) {
      await port.release(
        events.slice(i).map((e) => e.id),
        o.owner,
      );
      return;
    }
    try {
      assert(o.handler, 'a leased worker has a handler');
      await o.handler(event, o.signal);
      await port.complete(event.id, o.owner);
    } catch (err) {
      log?.warn({ err, id: event.id.toString(), topic: event.topic }, 'outbox event failed');
      await port.fail(event.id, o.owner, err, retryAfterOf(err));
    }
  }
}

/** What the in-transaction worker needs of the outbox: transactions, take and fail. */
interface TakePort {
  begin<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  take(tx: Tx, max: number): Promise<OutboxEvent[]>;
  failTaken(id: bigint, error: unknown, retryAfterSeconds?: number): Promise<unknown>;
}

/** The loop of a worker whose handler runs in the transaction that takes its events. */
export async function runTakingWorker(
  port: TakePort,
  batchSize: number,
  o: WorkerOptions,
  log: Logger | undefined,
): Promise<void> {
  assert(o.pollMs >= POLL_MS_MIN && o.pollMs <= POLL_MS_MAX, 'worker pollMs out of range');
  const handle = o.inTransaction;
  assert(handle && !o.handler && !o.batchHandler, 'an in-transaction worker has one handler');
  while (!o.signal.aborted) {
    let events: OutboxEvent[] = [];
    let taken: number;
    try {
      taken = await port.begin(async (tx) => {
        events = await port.take(tx, batchSize);
        if (events.length > 0) await handle(tx, events, o.signal);
        return events.length;
      });
    } catch (err) {
      // One event that failed has failed alone; a batch is taken again one at a time.
      const [event] = events;
      if (events.length === 1 && event) taken = await failed(port, event, err, o, log);
      else {
        log?.warn(
          { err, owner: o.owner },
          'outbox batch failed; handling its events one at a time',
        );
        taken = await takeEach(port, handle, batchSize, o, log);
      }
    }
    if (taken === 0) await pause(o.pollMs, o.signal);
  }
}

/** Records a taken event's failed attempt (its transaction rolled back); 0 if it could not. */
async function failed(
  port: TakePort,
  event: OutboxEvent,
  err: unknown,
  o: WorkerOptions,
  log: Logger | undefined,
): Promise<number> {
  log?.warn({ err, id: event.id.toString(), topic: event.topic }, 'outbox event failed');
  try {
    await port.failTaken(event.id, err, retryAfterOf(err));
    return 1;
  } catch (failErr) {
    // Not recorded: the event is there again as it was, and is taken again.
    log?.error({ err: failErr, owner: o.owner }, 'outbox failure not recorded');
    return 0;
  }
}

/** Takes and handles up to n events one at a time; returns how many it took. */
async function takeEach(
  port: TakePort,
  handle: NonNullable<WorkerOptions['inTransaction']>,
  n: number,
  o: WorkerOptions,
  log: Logger | undefined,
): Promise<number> {
  let taken = 0;
  for (; taken < n && !o.signal.aborted; taken++) {
    let event: OutboxEvent | undefined;
    try {
      const found = await port.begin(async (tx) => {
        [event] = await port.take(tx, 1);
        if (event) await handle(tx, [event], o.signal);
        return event !== undefined;
      });
      if (!found) break;
    } catch (err) {
      if (!event) {
        // The database may be restarting: the loop waits a poll and tries again.
        log?.error({ err, owner: o.owner }, 'outbox take failed');
        break;
      }
      if ((await failed(port, event, err, o, log)) === 0) break;
    }
  }
  return taken;
}
