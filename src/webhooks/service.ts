import type { Db, Tx } from '../db/index.ts';

export type EventState = 'queued' | 'sent' | 'delivered' | 'failed' | 'no_endpoint';
import type { Actor, Source } from './context.ts';
import type { ListQuery, Page } from '../http/index.ts';
import type { DeliveryView } from './deliveries.ts';
import type { NewWebhookEvent } from './delivery.ts';
import type { EndpointInput, EndpointView } from './endpoints.ts';

// What the webhooks module offers the rest of Kinko: createWebhooks (index.ts) builds it, and
// the routes take it as a parameter from here, so no file of the module imports index.ts.

export interface WebhookWorkerOptions {
  /** Pause between empty polls. */
  pollMs?: number | undefined;
  owner?: string | undefined;
}

export interface Webhooks {
  /** For payments and others: records an event inside their transaction. */
  emitEvent(tx: Tx, event: NewWebhookEvent): Promise<string>;
  /** The same for many events at once (one insert, one outbox enqueue); ids in order. */
  emitEvents(tx: Tx, events: readonly NewWebhookEvent[]): Promise<string[]>;
  /**
   * For background work that runs after a commit (receipts): records events and fans them
   * out in the caller's transaction at once, with no outbox event; ids in order.
   */
  emitEventsFannedOut(tx: Tx, events: readonly NewWebhookEvent[]): Promise<string[]>;
  createEndpoint(
    merchantId: string,
    input: EndpointInput,
    actor: Actor,
    source?: Source,
  ): Promise<{ endpoint: EndpointView; secret: string }>;
  listEndpoints(merchantId: string): Promise<EndpointView[]>;
  getEndpoint(merchantId: string, id: string): Promise<EndpointView>;
  updateEndpoint(
    merchantId: string,
    id: string,
    patch: Partial<EndpointInput>,
    actor: Actor,
    source?: Source,
  ): Promise<EndpointView>;
  deleteEndpoint(merchantId: string, id: string, actor: Actor, source?: Source): Promise<void>;
  rotateSecret(
    merchantId: string,
    id: string,
    input: { overlapSeconds?: number | undefined },
    actor: Actor,
    source?: Source,
  ): Promise<{ endpoint: EndpointView; secret: string }>;
  /** Newest first, paged as every list (default limit 10). */
  listDeliveries(
    merchantId: string,
    endpointId: string,
    q?: ListQuery,
  ): Promise<Page<DeliveryView>>;
  getDelivery(merchantId: string, id: string): Promise<DeliveryView>;
  /** Attempts a delivery now (whatever its status), logged as manual. */
  resend(
    merchantId: string,
    deliveryId: string,
    actor: Actor,
    source?: Source,
  ): Promise<{ delivered: boolean }>;
  /**
   * How each event reached its merchant's endpoints: queued (not handed out or not yet
   * tried), sent (being retried), delivered (an endpoint answered 2xx), failed (every
   * delivery given up), no_endpoint (no endpoint of the merchant takes it).
   */
  eventStates(db: Db, eventIds: readonly string[]): Promise<Map<string, EventState>>;
  /** One pass, for tests and `kinko` commands: fan out ready events, send due deliveries. */
  runOnce(): Promise<{ fannedOut: number; attempted: number }>;
  /** Starts the fan-out (outbox) and delivery loops; the returned stop() waits for them. */
  startWorker(options?: WebhookWorkerOptions): () => Promise<void>;
}
