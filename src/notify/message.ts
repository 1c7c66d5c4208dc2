import type { Db } from '../db/index.ts';
import { PermanentFailure } from '../outbox/index.ts';

// What the notify module delivers: one message to one address over one channel. Producers
// (identity, incidents) enqueue it on the outbox in the same transaction as the change it
// tells about; the notify worker delivers it afterwards.

export const NOTIFY_TOPIC = 'notify.message';

export type Channel = 'email' | 'sms';

export interface NotifyMessage {
  channel: Channel;
  /** An email address or an E.164 phone number. */
  to: string;
  subject: string;
  text: string;
  /**
   * The sender's name for this message, when it wants to hear how delivery went
   * (DeliveryReports, by this ref); never shown to the recipient.
   */
  ref?: string | undefined;
}

/**
 * Several messages in one outbox event (a receipt's email and SMS, or those of several
 * receipts): one event row to write, claim and delete where each message alone needs one.
 * Delivered as its messages would be one by one; when some fail, the event is retried with
 * only those (NotDelivered).
 */
export interface NotifyBundle {
  messages: NotifyMessage[];
}

/**
 * Messages in one bundle: the email and SMS of up to 8 receipts. A claim of
 * NOTIFY_CLAIM_EVENTS_MAX bundles then holds at most 800 messages, as 100 bundles of 8 did.
 */
export const NOTIFY_BUNDLE_MESSAGES_MAX = 16;

/** Events the notify worker claims (and must deliver within one lease) at once. */
export const NOTIFY_CLAIM_EVENTS_MAX = 50;

/** The messages an event's payload carries (one, or a bundle's), or null when malformed. */
export function messagesOf(payload: unknown): NotifyMessage[] | null {
  if (isNotifyMessage(payload)) return [payload];
  const list = (payload as Partial<NotifyBundle> | null)?.messages;
  if (!Array.isArray(list) || list.length === 0) return null;
  if (list.length > NOTIFY_BUNDLE_MESSAGES_MAX) return null;
  return list.every(isNotifyMessage) ? list : null;
}

/**
 * Some messages of an event were not delivered: the outbox retries the event with only these
 * (retryPayload), so the ones delivered are never sent twice. Carries the first error.
 */
export class NotDelivered extends Error {
  readonly retryAfterSeconds: number | undefined;
  constructor(
    override readonly cause: unknown,
    readonly retryPayload: NotifyBundle,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    // The outbox records the cause's name, as it would for a message sent alone.
    this.name = cause instanceof Error ? cause.name : 'NotDelivered';
    const retry = (cause as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    this.retryAfterSeconds = typeof retry === 'number' ? retry : undefined;
  }
}

/** NotDelivered where what is left was refused for good: dead at once with only that part. */
export class RefusedForGood extends PermanentFailure {
  constructor(
    override readonly cause: unknown,
    readonly retryPayload: NotifyBundle,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = cause instanceof Error ? cause.name : 'RefusedForGood';
  }
}

/** How one message's delivery went, told to the module that sent it (by its ref). */
export interface DeliveryReport {
  ref: string;
  /**
   * sent: an attempt is starting, or failed and will be retried (error says why);
   * delivered: the channel took it; failed: the last attempt failed and nothing will retry.
   */
  state: 'sent' | 'delivered' | 'failed';
  at: Date;
  /** The attempt's error, when one failed: counted as an attempt by the reader. */
  error?: string | undefined;
}

function isNotifyMessage(value: unknown): value is NotifyMessage {
  const v = value as Partial<NotifyMessage> | null;
  return (
    !!v &&
    (v.channel === 'email' || v.channel === 'sms') &&
    typeof v.to === 'string' &&
    typeof v.subject === 'string' &&
    typeof v.text === 'string' &&
    (v.ref === undefined || typeof v.ref === 'string')
  );
}

/**
 * Where delivery reports go (main.ts wires the incidents module's notices). record() runs in
 * the transaction of the outcome when the outcome is a database write (the dev mailbox), so
 * the two commit together; otherwise right after the channel answered.
 */
export interface DeliveryReports {
  record(db: Db, reports: readonly DeliveryReport[]): Promise<void>;
}
