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
}

export function isNotifyMessage(value: unknown): value is NotifyMessage {
  const v = value as Partial<NotifyMessage> | null;
  return (
    !!v &&
    (v.channel === 'email' || v.channel === 'sms') &&
    typeof v.to === 'string' &&
    typeof v.subject === 'string' &&
    typeof v.text === 'string'
  );
}
