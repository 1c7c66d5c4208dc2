import type { Sql, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { holdsCardNumber } from '../lib/card-numbers.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { isSensitiveKey, maskPans, REDACTED, scrub } from '../lib/redact.ts';
import * as store from './store.ts';

// Enqueue in the caller's transaction; claim, complete and fail from workers. Delivery is
// at least once: a handler may see an event again after a crash or a lease that ran out,
// so handlers must be idempotent (the event id is the idempotency key).

/** Events in one enqueue call: a ledger batch (8,190 transfers) with room to spare. */
export const ENQUEUE_BATCH_SIZE_MAX = 10_000;
/** A payload is a notification, not a document: 64 KiB of JSON is already generous. */
const PAYLOAD_BYTES_MAX = 64 * 1024;
/** last_error keeps the start of the message; the rest belongs in the worker's log. */
const ERROR_CHARACTERS_MAX = 2000;
/** Owner names identify a process in last_error and stats. */
const OWNER_CHARACTERS_MAX = 200;
/** Delay after a first failure when the handler gives none; doubles with each failure. */
export const RETRY_SECONDS_BASE_DEFAULT = 10;
/** Longest wait between two attempts. */
export const RETRY_SECONDS_MAX_DEFAULT = 3600;

/**
 * A failure that trying again cannot change (a mail server that answers "no such mailbox"):
 * a handler throws it, or a batch handler returns it, and its event is dead at once instead
 * of backing off through every attempt. Anything else is retried.
 */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

const TOPIC_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
// Card data in an event is a bug in the caller, not something to redact and carry on from
// (GMO-PG 2017): the security code must never be persisted, not even as "[redacted]".
const CARD_KEY_RE = /^(cvv2?|cvc2?|csc|cid|security_?code|card_?number|pan)$/i;

interface OutboxLimits {
  outboxClaimBatchSizeMax: number;
  /**
   * Events a worker that takes them in its transaction (no lease) handles at once; the
   * claim's limit when absent.
   */
  outboxTakeBatchSizeMax?: number | undefined;
  outboxLeaseSecondsMax: number;
  outboxAttemptsMax: number;
  outboxRetrySecondsMax?: number | undefined;
}

export interface OutboxDeps {
  sql: Sql;
  clock: Clock;
  limits: OutboxLimits;
  log?: Logger | undefined;
}

export interface NewEvent {
  /** Dotted lower-case name, module first: `webhook.payment.succeeded`. */
  topic: string;
  /** Groups related events (for example a merchant id) for handlers; no ordering is implied. */
  key?: string | undefined;
  payload: object;
  /** Not delivered before this time; defaults to now. */
  availableAt?: Date | undefined;
}

export interface OutboxEvent {
  id: bigint;
  topic: string;
  key: string | null;
  payload: unknown;
  createdAt: Date;
  /** Failed attempts before this one. */
  attempts: number;
  leaseUntil: Date;
}

function toPayloadJson(topic: string, payload: object): string {
  const json = JSON.stringify(stored(topic, payload, '$', 0));
  assert(json.startsWith('{'), `outbox payload of ${topic} is not an object`);
  assert(Buffer.byteLength(json) <= PAYLOAD_BYTES_MAX, `outbox payload of ${topic} is too large`);
  return json;
}

/** scrub's depth bound (lib/redact.ts): deeper values are stored as a marker. */
const SCRUB_DEPTH_MAX = 8;

/**
 * What is stored of a payload value, in one walk: card data (a card number, a security code
 * key) is refused, sensitive keys are redacted as scrub() does, and bigints become strings.
 * A string that holds no card number needs no masking, so it is scanned once, not twice
 * (findCardData then scrub): the walk was a visible share of every event enqueued.
 */
function stored(topic: string, value: unknown, path: string, depth: number): unknown {
  if (typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number') {
    assert(!holdsCardNumber(String(value)), `outbox event ${topic} carries card data at ${path}`);
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const proto: unknown = Object.getPrototypeOf(value);
  const plain = Array.isArray(value) || proto === Object.prototype || proto === null;
  if (depth >= SCRUB_DEPTH_MAX || !plain) {
    // Rare shapes (deep nesting, dates, errors, buffers) keep the two passes they had.
    const found = findCardData(value, path, depth);
    assert(found === null, `outbox event ${topic} carries card data at ${found}`);
    return scrub(value, depth);
  }
  if (Array.isArray(value)) {
    return value.map((v: unknown, i) => stored(topic, v, `${path}.${i}`, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const at = `${path}.${k}`;
    const set = v !== null && v !== undefined;
    assert(!(set && CARD_KEY_RE.test(k)), `outbox event ${topic} carries card data at ${at}`);
    if (set && isSensitiveKey(k)) {
      // Redacted, but card data under a sensitive key is still the caller's bug.
      const found = findCardData(v, at, depth + 1);
      assert(found === null, `outbox event ${topic} carries card data at ${found}`);
      out[k] = REDACTED;
    } else {
      out[k] = stored(topic, v, at, depth + 1);
    }
  }
  return out;
}

/** The path of the first card number or security code in value, or null. */
function findCardData(value: unknown, path: string, depth = 0): string | null {
  if (depth > 16) return null;
  if (typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number') {
    const text = String(value);
    return holdsCardNumber(text) ? path : null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    if (CARD_KEY_RE.test(k) && v !== null && v !== undefined) return `${path}.${k}`;
    const inner = findCardData(v, `${path}.${k}`, depth + 1);
    if (inner) return inner;
  }
  return null;
}

export async function enqueue(
  tx: Tx,
  clock: Clock,
  events: readonly NewEvent[],
): Promise<bigint[]> {
  if (events.length === 0) return [];
  assert(events.length <= ENQUEUE_BATCH_SIZE_MAX, `at most ${ENQUEUE_BATCH_SIZE_MAX} events`);
  const now = clock.now();
  const rows = events.map((e) => {
    assert(TOPIC_RE.test(e.topic), `bad outbox topic ${e.topic}`);
    return {
      topic: e.topic,
      key: e.key ?? null,
      payloadJson: toPayloadJson(e.topic, e.payload),
      createdAt: now,
      availableAt: e.availableAt ?? now,
    };
  });
  return store.insertEvents(tx, rows);
}

export function checkOwner(owner: string): void {
  assert(
    owner.length > 0 && owner.length <= OWNER_CHARACTERS_MAX,
    `outbox owner must be 1..${OWNER_CHARACTERS_MAX} characters`,
  );
}

export function toEvent(r: store.EventRow): OutboxEvent {
  assert(r.lease_until !== null, 'a claimed event has a lease');
  return {
    id: r.id,
    topic: r.topic,
    key: r.event_key,
    payload: r.payload,
    createdAt: r.created_at,
    attempts: r.attempts,
    leaseUntil: r.lease_until,
  };
}

/** A taken event (no lease: its transaction is its claim); leaseUntil is when it was taken. */
export function takenEvent(r: store.EventRow, now: Date): OutboxEvent {
  return {
    id: r.id,
    topic: r.topic,
    key: r.event_key,
    payload: r.payload,
    createdAt: r.created_at,
    attempts: r.attempts,
    leaseUntil: now,
  };
}

/**
 * The payload a failed attempt leaves to retry, stored as enqueue stores one, when its error
 * carries one (`retryPayload`); null keeps the event's payload.
 */
export function retryPayloadJson(error: unknown): string | null {
  const payload = (error as { retryPayload?: unknown } | null)?.retryPayload;
  if (payload === undefined || payload === null) return null;
  assert(typeof payload === 'object', 'retryPayload is not an object');
  return toPayloadJson('retry', payload);
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return maskPans(text).slice(0, ERROR_CHARACTERS_MAX);
}
