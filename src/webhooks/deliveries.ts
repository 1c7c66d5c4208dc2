import { createdRange, httpError, pageOf, type ListQuery, type Page } from '../http/index.ts';
import type { WebhooksDeps } from './context.ts';
import { endpointOf } from './endpoints.ts';
import * as store from './store.ts';
import { webhooksError } from './errors.ts';

// The delivery log as merchants read it.

interface AttemptView {
  attempted_at: string;
  status_code: number | null;
  duration_ms: number;
  response_snippet: string | null;
  error: string | null;
  manual: boolean;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  give_up_at: string;
  last_attempt_at: string | null;
  last_status: number | null;
  created_at: string;
  log?: AttemptView[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function view(d: store.DeliveryRow): DeliveryView {
  return {
    id: d.id,
    event_id: d.event_id,
    endpoint_id: d.endpoint_id,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: iso(d.next_attempt_at),
    give_up_at: d.give_up_at.toISOString(),
    last_attempt_at: iso(d.last_attempt_at),
    last_status: d.last_status,
    created_at: d.created_at.toISOString(),
  };
}

/** An endpoint's deliveries, paged as every list is (http/lists.ts). */
export async function listDeliveries(
  deps: WebhooksDeps,
  merchantId: string,
  endpointId: string,
  q: ListQuery = { limit: 10 },
): Promise<Page<DeliveryView>> {
  await endpointOf(deps, merchantId, endpointId);
  const cursor = async (id: string | undefined, param: string) => {
    if (id === undefined) return undefined;
    const at = await store.deliveryCursor(deps.sql, endpointId, id);
    if (!at) throw httpError('pagination_cursor_not_found', { param });
    return at;
  };
  const range = createdRange(q.created ?? {});
  const rows = await store.listDeliveries(deps.sql, endpointId, {
    limit: q.limit,
    before: await cursor(q.startingAfter, 'starting_after'),
    after: await cursor(q.endingBefore, 'ending_before'),
    createdGte: range.from,
    createdLt: range.to,
  });
  return pageOf(rows, q.limit, q.endingBefore !== undefined, view);
}

export async function getDelivery(
  deps: WebhooksDeps,
  merchantId: string,
  id: string,
): Promise<DeliveryView> {
  const d = await store.deliveryById(deps.sql, id);
  if (!d || d.merchant_id !== merchantId) throw webhooksError('webhook_delivery_not_found');
  const log = (await store.listAttempts(deps.sql, id)).map((a) => ({
    attempted_at: a.attempted_at.toISOString(),
    status_code: a.status_code,
    duration_ms: a.duration_ms,
    response_snippet: a.response_snippet,
    error: a.error,
    manual: a.manual,
  }));
  return { ...view(d), log };
}
