import { randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { publicId } from '../lib/ids.ts';
import { holdsCardNumber } from '../lib/card-numbers.ts';
import { allSent, type Tx } from '../db/index.ts';
import type { Actor, Source, WebhooksDeps } from './context.ts';
import { secretsFor } from './endpoints.ts';
import { send } from './send.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signing.ts';
import * as store from './store.ts';
import { webhooksError } from './errors.ts';

// Events → deliveries → attempts.
//
// emitEvents writes events (their exact bodies) and outbox events in the caller's
// transaction. The outbox worker fans it out: one delivery per subscribed endpoint. The
// delivery worker sends due deliveries; a 2xx ends one, anything else schedules the next
// attempt after retrySecondsBase × 2^(attempts − 1) (capped at retrySecondsMax) until
// give_up_at, deliverySecondsMax (3 days) after the event. Every attempt is logged.
//
// The event body lives in webhooks_events rather than in the outbox payload: the outbox
// scrubs payloads for logs (a `token` field would arrive as "[redacted]"), and every
// attempt must send, and sign, byte-identical JSON.

export const WEBHOOK_TOPIC = 'webhook.event';
const EVENT_TYPE_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const CARD_KEY_RE = /"(cvv2?|cvc2?|csc|cid|security_?code|card_?number|pan)"\s*:/i;
/** Added to the delivery timeout for a claim: time to record the attempt. */
const CLAIM_MARGIN_MS = 30_000;

export interface NewWebhookEvent {
  merchantId: string;
  /** Dotted lower-case, e.g. payment.succeeded. */
  type: string;
  /** The object the event is about, as the API shows it; sent as `data.object`. */
  object: object;
  /**
   * The id whose events reach each endpoint in the order they were emitted: the payment's
   * id for its own events and for its refunds' events.
   */
  orderKey: string;
}

/** Records an event for the merchant's endpoints, in the caller's transaction. */
export async function emitEvent(
  deps: Pick<WebhooksDeps, 'clock' | 'outbox'>,
  tx: Tx,
  event: NewWebhookEvent,
): Promise<string> {
  const [id] = await emitEvents(deps, tx, [event]);
  return id!;
}

/**
 * Records events in the caller's transaction with one insert and one outbox enqueue;
 * returns their ids in order.
 */
export async function emitEvents(
  deps: Pick<WebhooksDeps, 'clock' | 'outbox'>,
  tx: Tx,
  events: readonly NewWebhookEvent[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const now = deps.clock.now();
  const rows = events.map((event) => {
    const id = publicId('evt', 16);
    return {
      id,
      merchant_id: event.merchantId,
      type: event.type,
      order_key: event.orderKey,
      body: eventBody(id, event, now),
    };
  });
  // The events and their outbox rows go out together: one round trip for both.
  await allSent([
    store.insertEvents(tx, rows, now),
    deps.outbox.enqueue(
      tx,
      rows.map((r) => ({
        topic: WEBHOOK_TOPIC,
        key: r.merchant_id,
        payload: { eventId: r.id, merchantId: r.merchant_id, type: r.type },
      })),
    ),
  ]);
  return rows.map((r) => r.id);
}

/**
 * emitEvents for a caller that is itself background work after a commit (receipts): the
 * events are fanned out in the caller's transaction at once, so they need no outbox event,
 * no fan-out worker and no second write marking them fanned out. Returns their ids in order.
 */
export async function emitEventsFannedOut(
  deps: Pick<WebhooksDeps, 'clock' | 'limits'>,
  tx: Tx,
  events: readonly NewWebhookEvent[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const now = deps.clock.now();
  const rows = events.map((event) => {
    const id = publicId('evt', 16);
    const body = eventBody(id, event, now);
    return { id, merchant_id: event.merchantId, type: event.type, order_key: event.orderKey, body };
  });
  const giveUp = new Date(now.getTime() + deps.limits.webhooks.deliverySecondsMax * 1000);
  await store.insertEventsFannedOut(tx, rows, now, giveUp, () => publicId('whd', 16));
  return rows.map((r) => r.id);
}

const bigintAsText = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/**
 * JSON with bigints as decimal strings. A replacer takes JSON.stringify off its fast path
 * (~5 µs against ~3 for a payment's event), and most objects hold no bigint: they are tried
 * without one, and only one that holds a bigint (TypeError) is written again with it. The
 * text is the same either way.
 */
function toJson(value: object): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, bigintAsText);
  }
}

/** The exact JSON every attempt sends and signs. */
function eventBody(id: string, event: NewWebhookEvent, now: Date): string {
  assert(EVENT_TYPE_RE.test(event.type), `webhook event type ${event.type} is not dotted`);
  const envelope = {
    id,
    object: 'event',
    type: event.type,
    created: Math.floor(now.getTime() / 1000),
    // One envelope for every event: the object is always data.object.
    data: { object: event.object },
  };
  const body = toJson(envelope);
  // Card data in an event is a bug in the caller (GMO-PG 2017): refuse, do not send it.
  assert(
    !CARD_KEY_RE.test(body) && !holdsCardNumber(body),
    `event ${event.type} carries card data`,
  );
  return body;
}

/** The outbox handler: one delivery per subscribed endpoint (repeats are no-ops). */
export async function fanOutEvent(deps: WebhooksDeps, payload: unknown): Promise<number> {
  const eventId = (payload as { eventId?: unknown } | null)?.eventId;
  assert(typeof eventId === 'string', 'webhook.event payload without eventId');
  const now = deps.clock.now();
  return deps.sql.begin(async (tx) => {
    const created = await store.eventCreatedAt(tx, eventId);
    if (!created) return 0;
    const giveUp = new Date(created.getTime() + deps.limits.webhooks.deliverySecondsMax * 1000);
    return store.fanOut(tx, eventId, now, giveUp, () => publicId('whd', 16));
  });
}

/** fanOutEvent() for a batch of outbox payloads, in one transaction. */
export async function fanOutEvents(
  deps: WebhooksDeps,
  payloads: readonly unknown[],
): Promise<number> {
  return deps.sql.begin((tx) => fanOutEventsIn(deps, tx, payloads));
}

/** fanOutEvents() in the caller's transaction (the worker's, which takes the events in it). */
export function fanOutEventsIn(
  deps: Pick<WebhooksDeps, 'clock' | 'limits'>,
  tx: Tx,
  payloads: readonly unknown[],
): Promise<number> {
  const ids = payloads.map((payload) => {
    const eventId = (payload as { eventId?: unknown } | null)?.eventId;
    assert(typeof eventId === 'string', 'webhook.event payload without eventId');
    return eventId;
  });
  const now = deps.clock.now();
  const giveUp = deps.limits.webhooks.deliverySecondsMax;
  return store.fanOutMany(tx, [...new Set(ids)], now, giveUp, () => publicId('whd', 16));
}

function retryDelaySeconds(limits: WebhooksDeps['limits']['webhooks'], attempts: number) {
  const exp = Math.min(attempts - 1, 30);
  return Math.min(limits.retrySecondsBase * 2 ** exp, limits.retrySecondsMax);
}

async function attempt(
  deps: WebhooksDeps,
  d: store.DueDelivery,
  manual: boolean,
): Promise<boolean> {
  const limits = deps.limits.webhooks;
  const t = Math.floor(deps.clock.nowMs() / 1000);
  const secrets = await secretsFor(deps, d.endpoint_id);
  const result = await send({
    url: d.url,
    body: d.body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Kinko-Webhooks/1',
      [SIGNATURE_HEADER]: signatureHeader(secrets, t, d.body),
      [EVENT_ID_HEADER]: d.event_id,
      'kinko-delivery-id': d.id,
    },
    timeoutMs: limits.deliveryTimeoutMs,
    snippetBytes: limits.responseSnippetBytesMax,
    env: deps.env,
  });
  const ok = result.error === null && result.statusCode !== null && result.statusCode < 300;
  const now = deps.clock.now();
  const attempts = d.attempts + 1;
  let next: Date | null = null;
  if (!ok) {
    const at = now.getTime() + retryDelaySeconds(limits, attempts) * 1000;
    next = now >= d.give_up_at ? null : new Date(Math.min(at, d.give_up_at.getTime()));
  }
  await deps.sql.begin((tx) =>
    store.recordAttempt(
      tx,
      {
        delivery_id: d.id,
        attempted_at: now,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        response_snippet: result.snippet,
        error: result.error,
        manual,
      },
      { status: ok ? 'succeeded' : next ? 'pending' : 'failed', nextAttemptAt: next },
    ),
  );
  deps.onDeliveryAttempt?.(ok ? 'succeeded' : next ? 'retrying' : 'failed');
  return ok;
}

/** Sends every due delivery once (up to the batch size); returns how many were tried. */
export async function deliverDue(deps: WebhooksDeps): Promise<number> {
  const limits = deps.limits.webhooks;
  const now = deps.clock.now();
  const lease = new Date(now.getTime() + limits.deliveryTimeoutMs + CLAIM_MARGIN_MS);
  // Paused deliveries are left as they are: pending, their attempts and give-up time untouched.
  const paused = deps.switches.webhooksPaused();
  if (paused.all) return 0;
  const max = limits.deliveryBatchSizeMax;
  const due = await store.claimDue(deps.sql, now, lease, max, paused.merchantIds);
  await Promise.all(due.map((d) => attempt(deps, d, false)));
  return due.length;
}

export async function resend(
  deps: WebhooksDeps,
  merchantId: string,
  deliveryId: string,
  actor: Actor,
  source?: Source,
): Promise<{ delivered: boolean }> {
  const d = await store.deliveryById(deps.sql, deliveryId);
  if (!d || d.merchant_id !== merchantId) throw webhooksError('webhook_delivery_not_found');
  deps.switches.refuse({ operation: 'webhooks_out', merchantId, source: source?.ip });
  const limits = deps.limits.webhooks;
  const now = deps.clock.now();
  await deps.sql.begin((tx) =>
    deps.audit.append(tx, [
      {
        action: 'webhooks.delivery.resent',
        actor,
        subject: { type: 'webhook_delivery', id: deliveryId },
        source,
        outcome: 'success',
      },
    ]),
  );
  const lease = new Date(now.getTime() + limits.deliveryTimeoutMs + CLAIM_MARGIN_MS);
  const giveUp = new Date(now.getTime() + limits.deliverySecondsMax * 1000);
  const claimed = await store.claimOne(deps.sql, deliveryId, lease, giveUp);
  if (!claimed) throw webhooksError('webhook_delivery_not_found');
  return { delivered: await attempt(deps, claimed, true) };
}

/** A worker owner name unique to this process. */
export function ownerName(): string {
  return `webhooks-${process.pid}-${randomBytes(4).toString('hex')}`;
}
