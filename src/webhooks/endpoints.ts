import { publicId, secretToken } from '../lib/ids.ts';
import type { Actor, Source, WebhooksDeps } from './context.ts';
import { openSecret, sealSecret } from './secrets.ts';
import * as store from './store.ts';
import { checkEndpointUrl, checkPublicHost } from './url.ts';
import type { Tx } from '../db/index.ts';
import { webhooksError } from './errors.ts';

// Endpoints: where a merchant wants events, which types, and the secret that signs them.
// The secret (whsec_…, 256 random bits) is returned once at creation and at rotation.

const EVENT_TYPE_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const EVENT_TYPES_MAX = 64;

/**
 * Every event type Kinko sends, as docs/webhooks.md lists them (a test holds the two equal).
 * An endpoint subscribes to these or to "*": a misspelt type would subscribe to nothing,
 * and the merchant would wait for events that never come.
 */
export const WEBHOOK_EVENT_TYPES: ReadonlySet<string> = new Set([
  'payment.created',
  'payment.requires_action',
  'payment.amount_capturable_updated',
  'payment.succeeded',
  'payment.canceled',
  'payment.payment_failed',
  'payment.review_opened',
  'payment.review_closed',
  'refund.succeeded',
  'refund.failed',
  'code_payment.succeeded',
  'store_payment.succeeded',
  'code_payment.refunded',
  'page.integrity_alert',
  'incident.merchant_notice',
]);

export interface EndpointView {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  status: 'enabled' | 'disabled';
  created_at: string;
  /** Display prefixes of the secrets that sign now (two during a rotation). */
  secrets: { prefix: string; expires_at: string | null }[];
}

export interface EndpointInput {
  url: string;
  eventTypes: readonly string[];
  description?: string | null | undefined;
  status?: 'enabled' | 'disabled' | undefined;
}

function checkEventTypes(types: readonly string[]): string[] {
  const unique = [...new Set(types)].sort();
  const ok =
    unique.length >= 1 &&
    unique.length <= EVENT_TYPES_MAX &&
    unique.every((t) => t === '*' || EVENT_TYPE_RE.test(t));
  if (!ok) throw webhooksError('webhook_event_types_invalid', { param: 'event_types' });
  const unknown = unique.find((t) => t !== '*' && !WEBHOOK_EVENT_TYPES.has(t));
  if (unknown !== undefined) {
    throw webhooksError('webhook_event_type_unknown', {
      param: 'event_types',
      message: `Kinko sends no event of type ${unknown}; docs/webhooks.md lists the types.`,
    });
  }
  return unique;
}

async function checkInput(deps: WebhooksDeps, input: EndpointInput) {
  const url = checkEndpointUrl(input.url, deps.env);
  await checkPublicHost(url, deps.env);
  return { url: url.href, eventTypes: checkEventTypes(input.eventTypes) };
}

export async function endpointView(
  deps: WebhooksDeps,
  row: store.EndpointRow,
): Promise<EndpointView> {
  const secrets = await store.signingSecrets(deps.sql, row.id, deps.clock.now());
  return {
    id: row.id,
    url: row.url,
    event_types: row.event_types,
    description: row.description,
    status: row.status,
    created_at: row.created_at.toISOString(),
    secrets: secrets.map((s) => ({
      prefix: s.display_prefix,
      expires_at: s.expires_at ? s.expires_at.toISOString() : null,
    })),
  };
}

async function addSecret(deps: WebhooksDeps, tx: Tx, endpointId: string): Promise<string> {
  const secret = secretToken('whsec', 32);
  const id = publicId('whs', 16);
  await store.insertSecret(tx, {
    id,
    endpoint_id: endpointId,
    ...sealSecret(deps.secretsKey, `${endpointId}:${id}`, secret),
    display_prefix: secret.slice(0, 14),
    created_at: deps.clock.now(),
    expires_at: null,
  });
  return secret;
}

export async function endpointOf(deps: WebhooksDeps, merchantId: string, id: string) {
  const row = await store.endpointById(deps.sql, id);
  if (!row || row.merchant_id !== merchantId) throw webhooksError('webhook_endpoint_not_found');
  return row;
}

export async function createEndpoint(
  deps: WebhooksDeps,
  merchantId: string,
  input: EndpointInput,
  actor: Actor,
  source?: Source,
): Promise<{ endpoint: EndpointView; secret: string }> {
  const checked = await checkInput(deps, input);
  const row: store.EndpointRow = {
    id: publicId('we', 16),
    merchant_id: merchantId,
    url: checked.url,
    event_types: checked.eventTypes,
    description: input.description ?? null,
    status: input.status ?? 'enabled',
    created_at: deps.clock.now(),
    deleted_at: null,
  };
  const secret = await deps.sql.begin(async (tx) => {
    await store.lockMerchant(tx, merchantId);
    if (
      (await store.countEndpoints(tx, merchantId)) >= deps.limits.webhooks.endpointsPerMerchantMax
    ) {
      throw webhooksError('webhook_endpoint_limit_reached');
    }
    await store.insertEndpoint(tx, row);
    const s = await addSecret(deps, tx, row.id);
    await deps.audit.append(tx, [
      {
        action: 'webhooks.endpoint.created',
        actor,
        subject: { type: 'webhook_endpoint', id: row.id },
        source,
        outcome: 'success',
        detail: { merchant_id: merchantId, url: row.url, event_types: row.event_types },
      },
    ]);
    return s;
  });
  return { endpoint: await endpointView(deps, row), secret };
}

export async function updateEndpoint(
  deps: WebhooksDeps,
  merchantId: string,
  id: string,
  patch: Partial<EndpointInput>,
  actor: Actor,
  source?: Source,
): Promise<EndpointView> {
  const old = await endpointOf(deps, merchantId, id);
  const checked = await checkInput(deps, {
    url: patch.url ?? old.url,
    eventTypes: patch.eventTypes ?? old.event_types,
  });
  const next = {
    ...old,
    url: checked.url,
    event_types: checked.eventTypes,
    description: patch.description === undefined ? old.description : patch.description,
    status: patch.status ?? old.status,
  };
  await deps.sql.begin(async (tx) => {
    await store.updateEndpoint(tx, id, next);
    await deps.audit.append(tx, [
      {
        action: 'webhooks.endpoint.updated',
        actor,
        subject: { type: 'webhook_endpoint', id },
        source,
        outcome: 'success',
        detail: { url: next.url, event_types: next.event_types, status: next.status },
      },
    ]);
  });
  return endpointView(deps, next);
}

export async function deleteEndpoint(
  deps: WebhooksDeps,
  merchantId: string,
  id: string,
  actor: Actor,
  source?: Source,
): Promise<void> {
  await endpointOf(deps, merchantId, id);
  await deps.sql.begin(async (tx) => {
    await store.deleteEndpoint(tx, id, deps.clock.now());
    await deps.audit.append(tx, [
      {
        action: 'webhooks.endpoint.deleted',
        actor,
        subject: { type: 'webhook_endpoint', id },
        source,
        outcome: 'success',
      },
    ]);
  });
}

/**
 * A new secret now; the current one keeps signing beside it for overlapSeconds, so the
 * receiver can switch without rejecting a delivery (two v1 signatures meanwhile).
 */
export async function rotateSecret(
  deps: WebhooksDeps,
  merchantId: string,
  id: string,
  input: { overlapSeconds?: number | undefined },
  actor: Actor,
  source?: Source,
): Promise<{ endpoint: EndpointView; secret: string }> {
  const limits = deps.limits.webhooks;
  const overlap = input.overlapSeconds ?? limits.secretOverlapSecondsDefault;
  if (overlap < 0 || overlap > limits.secretOverlapSecondsMax) {
    throw webhooksError('webhook_secret_overlap_invalid', { param: 'overlap_seconds' });
  }
  const row = await endpointOf(deps, merchantId, id);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + overlap * 1000);
  const secret = await deps.sql.begin(async (tx) => {
    await store.expireCurrentSecrets(tx, id, expiresAt);
    const s = await addSecret(deps, tx, id);
    await deps.audit.append(tx, [
      {
        action: 'webhooks.endpoint.secret_rotated',
        actor,
        subject: { type: 'webhook_endpoint', id },
        source,
        outcome: 'success',
        detail: { previous_expires_at: expiresAt.toISOString() },
      },
    ]);
    return s;
  });
  return { endpoint: await endpointView(deps, row), secret };
}

/** The secrets that sign a delivery made now, newest first. */
export async function secretsFor(deps: WebhooksDeps, endpointId: string): Promise<string[]> {
  const rows = await store.signingSecrets(deps.sql, endpointId, deps.clock.now());
  return rows.map((r) => openSecret(deps.secretsKey, `${endpointId}:${r.id}`, r));
}
