import nodemailer from 'nodemailer';
import type { Sql } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { NotifyMessage } from './message.ts';
import * as store from './store.ts';

// Delivery adapters. Email goes by SMTP (nodemailer) when an SMTP URL is configured and to
// the development mailbox otherwise; SMS goes through an injected sender, or the mailbox.
// Production without a real sender for a channel is an error the outbox retries and an
// operator sees, never a silent drop: a recovery code that is never sent locks people out.

export interface SmsSender {
  send(to: string, text: string): Promise<void>;
}

export interface NotifierDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** production, development or test: only non-production may use the dev mailbox. */
  env: string;
  smtpUrl?: string | undefined;
  /** The From header of emails. */
  from?: string | undefined;
  sms?: SmsSender | undefined;
}

export interface Notifier {
  deliver(message: NotifyMessage): Promise<'smtp' | 'sms' | 'dev_mailbox'>;
  close(): void;
}

export class DeliveryUnavailable extends Error {
  override name = 'DeliveryUnavailable';
  readonly retryAfterSeconds = 300;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const transport = deps.smtpUrl ? nodemailer.createTransport(deps.smtpUrl) : undefined;
  const from = deps.from ?? 'Kinko <no-reply@kinko.invalid>';
  const mailbox = async (m: NotifyMessage) => {
    if (deps.env === 'production') {
      throw new DeliveryUnavailable(`no ${m.channel} sender is configured in production`);
    }
    await store.insertMail(deps.sql, {
      channel: m.channel,
      address: m.to,
      subject: m.subject,
      body: m.text,
      created_at: deps.clock.now(),
    });
    return 'dev_mailbox' as const;
  };
  return {
    async deliver(m) {
      if (m.channel === 'email' && transport) {
        await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
        return 'smtp';
      }
      if (m.channel === 'sms' && deps.sms) {
        await deps.sms.send(m.to, m.text);
        return 'sms';
      }
      return mailbox(m);
    },
    close: () => transport?.close(),
  };
}
