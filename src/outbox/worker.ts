import { setTimeout as sleep } from 'node:timers/promises';
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

/** Shortest and longest pause between empty polls. */
const POLL_MS_MIN = 10;
const POLL_MS_MAX = 60_000;

/** Events of a batch that failed, by id, with their error (which may carry retryAfterSeconds). */
export type BatchFailures = ReadonlyMap<bigint, unknown>;

export interface WorkerOptions {
  /** Topics to claim; all topics when absent. */
  topics?: readonly string[] | undefined;
  /** Delivers one event. Throw to fail it; an error may carry `retryAfterSeconds`. */
  handler: (event: OutboxEvent, signal: AbortSignal) => Promise<void>;
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
      await o.handler(event, o.signal);
      await port.complete(event.id, o.owner);
    } catch (err) {
      log?.warn({ err, id: event.id.toString(), topic: event.topic }, 'outbox event failed');
      await port.fail(event.id, o.owner, err, retryAfterOf(err));
    }
  }
}
