import { setTimeout as sleep } from 'node:timers/promises';
import type { Tx } from '../db/index.ts';
import type { WebhooksDeps } from './context.ts';
import {
  deliverDue,
  emitEvent,
  emitEvents,
  emitEventsFannedOut,
  fanOutEvent,
  fanOutEventsIn,
  ownerName,
  resend,
  WEBHOOK_TOPIC,
} from './delivery.ts';
import { getDelivery, listDeliveries } from './deliveries.ts';
import {
  createEndpoint,
  deleteEndpoint,
  endpointOf,
  endpointView,
  rotateSecret,
  updateEndpoint,
} from './endpoints.ts';
import type { EventState, Webhooks, WebhookWorkerOptions } from './service.ts';
import * as store from './store.ts';

// Webhooks: signed notifications of events to merchants' servers.
//
// Glossary
// - event: something that happened for a merchant (evt_…, a type such as payment.succeeded,
//   data); its JSON body is fixed when emitted and sent byte-identical on every attempt.
// - endpoint: a merchant's receiving URL (we_…) with the event types it wants.
// - secret: whsec_…, per endpoint, signs deliveries; shown once; encrypted at rest.
// - rotation: a new secret; the previous one keeps signing until its expires_at, so each
//   delivery meanwhile carries two v1 signatures.
// - delivery: one event to one endpoint (whd_…): pending, succeeded or failed (gave up).
// - attempt: one POST of a delivery, logged with status, duration, ≤ 1 KiB of the answer.
// - signature: `Kinko-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>`.

export { WEBHOOK_TOPIC, type NewWebhookEvent } from './delivery.ts';
export { loadOrCreateWebhookSecretsKey } from './secrets.ts';
export { isPrivateAddress } from './url.ts';
export { WEBHOOK_EVENT_TYPES } from './endpoints.ts';
export { webhookRoutes } from './routes.ts';
export type { Webhooks } from './service.ts';

interface CreateWebhooksDeps extends WebhooksDeps {
  outbox: WebhooksDeps['outbox'] & {
    claim(o: {
      topics?: readonly string[];
      max: number;
      leaseSeconds: number;
      owner: string;
    }): Promise<{ id: bigint; payload: unknown }[]>;
    complete(id: bigint, owner: string): Promise<unknown>;
    fail(id: bigint, owner: string, error: unknown): Promise<unknown>;
    runWorker(o: {
      topics?: readonly string[];
      inTransaction: (tx: Tx, events: readonly { payload: unknown }[]) => Promise<void>;
      owner: string;
      pollMs: number;
      signal: AbortSignal;
    }): Promise<void>;
  };
}

const POLL_MS_DEFAULT = 1000;

export function createWebhooks(deps: CreateWebhooksDeps): Webhooks {
  const runOnce = async () => {
    const owner = ownerName();
    const events = await deps.outbox.claim({
      topics: [WEBHOOK_TOPIC],
      max: deps.limits.webhooks.deliveryBatchSizeMax,
      leaseSeconds: deps.limits.outboxLeaseSecondsMax,
      owner,
    });
    let fannedOut = 0;
    for (const e of events) {
      try {
        fannedOut += await fanOutEvent(deps, e.payload);
        await deps.outbox.complete(e.id, owner);
      } catch (err) {
        await deps.outbox.fail(e.id, owner, err);
      }
    }
    return { fannedOut, attempted: await deliverDue(deps) };
  };
  return {
    emitEvent: (tx, event) => emitEvent(deps, tx, event),
    emitEvents: (tx, events) => emitEvents(deps, tx, events),
    emitEventsFannedOut: (tx, events) => emitEventsFannedOut(deps, tx, events),
    createEndpoint: (m, input, actor, source) => createEndpoint(deps, m, input, actor, source),
    listEndpoints: async (m) =>
      Promise.all((await store.listEndpoints(deps.sql, m)).map((r) => endpointView(deps, r))),
    getEndpoint: async (m, id) => endpointView(deps, await endpointOf(deps, m, id)),
    updateEndpoint: (m, id, patch, actor, source) =>
      updateEndpoint(deps, m, id, patch, actor, source),
    deleteEndpoint: (m, id, actor, source) => deleteEndpoint(deps, m, id, actor, source),
    rotateSecret: (m, id, input, actor, source) => rotateSecret(deps, m, id, input, actor, source),
    listDeliveries: (m, id, q) => listDeliveries(deps, m, id, q),
    getDelivery: (m, id) => getDelivery(deps, m, id),
    resend: (m, id, actor, source) => resend(deps, m, id, actor, source),
    eventStates: async (db, ids) => {
      const rows = ids.length === 0 ? [] : await store.eventDeliveries(db, ids);
      return new Map(rows.map((r) => [r.id, eventState(r)]));
    },
    runOnce,
    startWorker: (options = {}) => startWorker(deps, options),
  };
}

function eventState(r: store.EventDeliveryRow): EventState {
  if (r.succeeded > 0) return 'delivered';
  if (!r.fanned_out) return 'queued';
  if (r.deliveries === 0) return 'no_endpoint';
  if (r.pending === 0) return 'failed';
  return r.retrying > 0 ? 'sent' : 'queued';
}

function startWorker(deps: CreateWebhooksDeps, options: WebhookWorkerOptions) {
  const controller = new AbortController();
  const signal = controller.signal;
  const pollMs = options.pollMs ?? POLL_MS_DEFAULT;
  const owner = options.owner ?? ownerName();
  const fanOut = deps.outbox.runWorker({
    topics: [WEBHOOK_TOPIC],
    // A payment a second means a webhook event a second: fanned out a batch at a time, in
    // the transaction that takes the batch's outbox events (taking them completes them).
    inTransaction: async (tx, events) =>
      void (await fanOutEventsIn(
        deps,
        tx,
        events.map((e) => e.payload),
      )),
    owner,
    pollMs,
    signal,
  });
  const deliver = (async () => {
    while (!signal.aborted) {
      let attempted = 0;
      try {
        attempted = await deliverDue(deps);
      } catch (err) {
        deps.log.error({ err }, 'webhook delivery pass failed');
      }
      if (attempted === 0) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  })();
  return async () => {
    controller.abort();
    await Promise.all([fanOut, deliver]);
  };
}
