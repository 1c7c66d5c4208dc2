import type { Db } from '../db/index.ts';

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

export function isNotifyMessage(value: unknown): value is NotifyMessage {
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
