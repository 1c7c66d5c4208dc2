import { setTimeout as sleep } from 'node:timers/promises';
import { assert } from '../lib/assert.ts';
import type { Logger } from '../lib/log.ts';
import type { OutboxEvent } from './outbox.ts';

// The worker loop: claim a batch, hand each event to the handler, then complete or fail it.
// It stops when its AbortSignal aborts: events claimed but not yet handled are given back
// at once instead of waiting for their lease to run out.

/** Shortest and longest pause between empty polls. */
export const POLL_MS_MIN = 10;
export const POLL_MS_MAX = 60_000;

export interface WorkerOptions {
  /** Topics to claim; all topics when absent. */
  topics?: readonly string[] | undefined;
  /** Delivers one event. Throw to fail it; an error may carry `retryAfterSeconds`. */
  handler: (event: OutboxEvent, signal: AbortSignal) => Promise<void>;
  owner: string;
  pollMs: number;
  signal: AbortSignal;
  /** Events per claim; defaults to limits.outboxClaimBatchSizeMax. */
  batchSize?: number | undefined;
  /** Lease per claim; defaults to limits.outboxLeaseSecondsMax. */
  leaseSeconds?: number | undefined;
}

export interface WorkerPort {
  claim(o: {
    topics?: readonly string[] | undefined;
    max: number;
    leaseSeconds: number;
    owner: string;
  }): Promise<OutboxEvent[]>;
  complete(id: bigint, owner: string): Promise<unknown>;
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
    for (const [i, event] of events.entries()) {
      if (o.signal.aborted) {
        await port.release(events.slice(i).map((e) => e.id), o.owner);
        break;
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
}
