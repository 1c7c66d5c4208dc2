import nodemailer from 'nodemailer';
import type { Sql } from '../db/index.ts';
import { PermanentFailure } from '../outbox/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { DeliveryReports, NotifyMessage } from './message.ts';
import * as store from './store.ts';

// Delivery adapters. Email goes by SMTP (nodemailer) when an SMTP URL is configured and to
// the development mailbox otherwise; SMS goes through an injected sender, or the mailbox.
// Production without a real sender for a channel is an error the outbox retries and an
// operator sees, never a silent drop: a recovery code that is never sent locks people out.

interface SmsSender {
  send(to: string, text: string): Promise<void>;
}

interface NotifierDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** production, development or test: only non-production may use the dev mailbox. */
  env: string;
  smtpUrl?: string | undefined;
  /** The From header of emails. */
  from?: string | undefined;
  sms?: SmsSender | undefined;
  /** Told of each delivered message that carries a ref; the mailbox's in its transaction. */
  reports?: DeliveryReports | undefined;
}

type DeliveredVia = 'smtp' | 'sms' | 'dev_mailbox';
/** How one message of a batch went: delivered, or the error that stopped it. */
export type DeliveryOutcome = { via: DeliveredVia } | { error: unknown };

export interface Notifier {
  deliver(message: NotifyMessage): Promise<DeliveredVia>;
  /**
   * Delivers a batch: every dev-mailbox message with one insert first, then SMTP and SMS
   * one at a time. Answers each message's outcome in order; throws, before anything was
   * sent, only when the mailbox insert fails.
   */
  deliverMany(messages: readonly NotifyMessage[]): Promise<DeliveryOutcome[]>;
  close(): void;
}

export class DeliveryUnavailable extends Error {
  override name = 'DeliveryUnavailable';
  readonly retryAfterSeconds = 300;
}

/** SMTP commands whose reply is about this one message, not about Kinko's own account. */
const MESSAGE_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);

/**
 * A mail server's 5xx reply to one message (no such mailbox, message refused): sending it
 * again gets the same answer, so it fails at once. It carries the reply's codes only: the
 * reply's text often repeats the address, which belongs in no log.
 */
class SmtpRefusal extends PermanentFailure {
  override name = 'SmtpRefusal';
}

/** A mail server's 4xx reply (mailbox busy, try later): retried with backoff. */
class SmtpDeferral extends Error {
  override name = 'SmtpDeferral';
}

/**
 * The error an SMTP failure is reported as. A reply becomes its codes ("550 5.1.1 at RCPT
 * TO"): a 5xx to the message is a refusal; a 4xx, a 5xx to the login (Kinko's credentials,
 * which an operator fixes) or a "bad sequence" 503 is retried. An error without a reply (a
 * connection refused or cut) is kept as it is and retried.
 */
function smtpFailure(error: unknown): unknown {
  const e = error as { responseCode?: unknown; response?: unknown; command?: unknown } | null;
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  if (code === undefined) return error;
  const reply = typeof e?.response === 'string' ? e.response : '';
  const status = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1];
  const command = typeof e?.command === 'string' ? e.command : 'the connection';
  const text = `SMTP ${code}${status ? ` ${status}` : ''} at ${command}`;
  const refusal = code >= 500 && code < 600 && code !== 503 && MESSAGE_COMMANDS.has(command);
  return refusal ? new SmtpRefusal(text) : new SmtpDeferral(text);
}

/** Writes the messages `wanted` picks to the dev mailbox (one insert); outcomes by index. */
async function toMailbox(
  deps: NotifierDeps,
  messages: readonly NotifyMessage[],
  wanted: (index: number) => boolean,
): Promise<Map<number, DeliveryOutcome>> {
  const indexes = [...messages.keys()].filter(wanted);
  const outcomes = new Map<number, DeliveryOutcome>();
  if (indexes.length === 0) return outcomes;
  if (deps.env === 'production') {
    for (const i of indexes) {
      const m = messages[i]!;
      const error = new DeliveryUnavailable(`no ${m.channel} sender is configured in production`);
      outcomes.set(i, { error });
    }
    return outcomes;
  }
  const now = deps.clock.now();
  const rows = indexes.map((i) => {
    const m = messages[i]!;
    return { channel: m.channel, address: m.to, subject: m.subject, body: m.text, created_at: now };
  });
  const refs = indexes.flatMap((i) => messages[i]!.ref ?? []);
  if (refs.length === 0 || !deps.reports) await store.insertMails(deps.sql, rows);
  else {
    // The mailbox row is the delivery: its report commits with it, or neither does.
    const reports = deps.reports;
    await deps.sql.begin(async (tx) => {
      await store.insertMails(tx, rows);
      await reports.record(
        tx,
        refs.map((ref) => ({ ref, state: 'delivered' as const, at: now })),
      );
    });
  }
  for (const i of indexes) outcomes.set(i, { via: 'dev_mailbox' });
  return outcomes;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const transport = deps.smtpUrl ? nodemailer.createTransport(deps.smtpUrl) : undefined;
  const from = deps.from ?? 'Kinko <no-reply@kinko.invalid>';
  const viaOf = (m: NotifyMessage): DeliveredVia =>
    m.channel === 'email' && transport
      ? 'smtp'
      : m.channel === 'sms' && deps.sms
        ? 'sms'
        : 'dev_mailbox';
  const send = async (m: NotifyMessage): Promise<DeliveredVia> => {
    if (m.channel === 'email' && transport) {
      try {
        await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
      } catch (error) {
        throw smtpFailure(error);
      }
      return 'smtp';
    }
    if (m.channel === 'sms' && deps.sms) {
      await deps.sms.send(m.to, m.text);
      return 'sms';
    }
    throw new DeliveryUnavailable(`no ${m.channel} sender is configured`);
  };
  const deliverMany = async (messages: readonly NotifyMessage[]) => {
    const outcomes = await toMailbox(deps, messages, (i) => viaOf(messages[i]!) === 'dev_mailbox');
    for (const [i, m] of messages.entries()) {
      if (outcomes.has(i)) continue;
      try {
        outcomes.set(i, { via: await send(m) });
      } catch (error) {
        outcomes.set(i, { error });
      }
    }
    return messages.map((_m, i) => outcomes.get(i)!);
  };
  return {
    async deliver(m) {
      if (viaOf(m) !== 'dev_mailbox') return send(m);
      const outcome = (await deliverMany([m]))[0]!;
      if ('error' in outcome) throw outcome.error;
      return outcome.via;
    },
    deliverMany,
    close: () => transport?.close(),
  };
}
