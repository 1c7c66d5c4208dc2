import type { AuditEntryInput } from '../audit/index.ts';
import type { WebhooksLimits } from '../config.ts';
import type { Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Env } from './url.ts';
import type { Source } from '../http/index.ts';
import type { SwitchCheck } from '../switches/index.ts';

// What the webhooks module is given (see index.ts for the factory).

export interface WebhooksDeps {
  sql: Sql;
  clock: Clock;
  audit: { append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void> };
  outbox: {
    enqueue(
      tx: Tx,
      events: readonly { topic: string; key?: string; payload: object }[],
    ): Promise<bigint[]>;
  };
  limits: { webhooks: WebhooksLimits; outboxLeaseSecondsMax: number };
  log: Logger;
  env: Env;
  /** 32 bytes that encrypt endpoint secrets at rest (loadOrCreateWebhookSecretsKey). */
  secretsKey: Buffer;
  /**
   * Kill switches: while webhooks_out is suspended (for all, or a merchant) deliveries stay
   * pending, unattempted, and go out once it is lifted.
   */
  switches: SwitchCheck;
  /** Told of every delivery attempt's outcome (metrics); it must only count. */
  onDeliveryAttempt?: ((outcome: 'succeeded' | 'retrying' | 'failed') => void) | undefined;
  /** Connects to receivers; tests keep the default. */
  resolveAddress?: ((host: string) => Promise<string[]>) | undefined;
}

export type Actor = AuditEntryInput['actor'];
/** Where a request came from (http/source.ts). */
export type { Source };
