import { PermanentFailure, type BatchFailures, type OutboxEvent } from '../outbox/index.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import {
  messagesOf,
  NOTIFY_CLAIM_EVENTS_MAX,
  NotDelivered,
  RefusedForGood,
  NOTIFY_TOPIC,
  type DeliveryReport,
  type DeliveryReports,
  type NotifyMessage,
} from './message.ts';
import type { DeliveryOutcome, Notifier } from './notifier.ts';

// Notify: delivers messages to people (email, SMS) from the outbox.
//
// Glossary
// - message: one text to one address over one channel (NotifyMessage).
// - bundle: several messages in one outbox event (the email and SMS of up to 8 receipts);
//   when only some are delivered, the event is retried with the others alone (NotDelivered).
// - channel: email or sms.
// - text: written by the module that sends it, each in one file (identity/messages.ts,
//   payments/messages.ts), Japanese first and then English, as the apps; notify only delivers.
// - dev mailbox: where messages go when no real sender is configured (development, test);
//   readable at GET /dev/mailbox?to=ADDRESS, which exists only in those modes.
// - notify worker: an outbox worker on topic notify.message that calls the notifier, a
//   claimed batch at a time: mailbox messages with one insert, senders one message at a time.
// - once: the same delivery as one pass over what is ready now (deliverNoticesOnce).
// - refusal: a mail server's 5xx to a message (SmtpRefusal), final at once; a 4xx
//   (SmtpDeferral) or a connection failure is retried with the outbox's backoff.
// - ref: a sender's name for a message whose delivery it follows; the worker reports each
//   step (sent, delivered, failed) of such a message to the DeliveryReports it was given.

export {
  NOTIFY_BUNDLE_MESSAGES_MAX,
  NOTIFY_TOPIC,
  type DeliveryReports,
  type NotifyBundle,
  type NotifyMessage,
} from './message.ts';
export { createNotifier, DeliveryUnavailable, type Notifier } from './notifier.ts';
export { devMailboxRoutes } from './routes.ts';

interface WorkerRunner {
  runWorker(options: {
    topics?: readonly string[];
    batchSize?: number;
    handler: (event: OutboxEvent, signal: AbortSignal) => Promise<void>;
    batchHandler?: (events: readonly OutboxEvent[]) => Promise<BatchFailures>;
    owner: string;
    pollMs: number;
    signal: AbortSignal;
  }): Promise<void>;
}

/** Where the worker reports the steps of messages that carry a ref (none when absent). */
interface Reporting {
  reports: DeliveryReports;
  db: Db;
  now(): Date;
  /** The outbox's attempts before an event is dead: the last failure is final. */
  attemptsMax: number;
}

const REPORT_ERROR_CHARS_MAX = 500;

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, REPORT_ERROR_CHARS_MAX);
}

/** Reports that delivery of these events' messages starts now. */
async function reportStart(r: Reporting | undefined, events: readonly Deliverable[]) {
  const refs = events.flatMap((e) => e.message.ref ?? []);
  if (!r || refs.length === 0) return;
  const at = r.now();
  await r.reports.record(
    r.db,
    refs.map((ref) => ({ ref, state: 'sent' as const, at })),
  );
}

/** Reports how each delivery went; the dev mailbox reported its own, with its rows. */
async function reportOutcomes(
  r: Reporting | undefined,
  events: readonly Deliverable[],
  outcomes: readonly DeliveryOutcome[],
): Promise<void> {
  if (!r) return;
  const at = r.now();
  const reports: DeliveryReport[] = [];
  for (const [i, e] of events.entries()) {
    const outcome = outcomes[i]!;
    const ref = e.message.ref;
    if (ref === undefined) continue;
    if (!('error' in outcome)) {
      if (outcome.via !== 'dev_mailbox') reports.push({ ref, state: 'delivered', at });
      continue;
    }
    // A permanent refusal is final now: the outbox dead-letters its event at once.
    const last = e.attempts + 1 >= r.attemptsMax || outcome.error instanceof PermanentFailure;
    reports.push({ ref, state: last ? 'failed' : 'sent', at, error: errorText(outcome.error) });
  }
  if (reports.length > 0) await r.reports.record(r.db, reports);
}

interface Deliverable {
  id: bigint;
  attempts: number;
  message: NotifyMessage;
}

/** Handles one outbox event: a malformed payload is logged and dropped, never retried. */
async function deliverEvent(
  notifier: Notifier,
  event: OutboxEvent,
  log: Logger,
  r: Reporting | undefined,
): Promise<void> {
  const failures = await deliverEvents(notifier, [event], log, r);
  if (failures.has(event.id)) throw failures.get(event.id);
}

/**
 * Handles a batch of outbox events as deliverEvent would each: malformed payloads are logged
 * and dropped, dev-mailbox messages go in with one insert, senders are called one at a time.
 * Returns the events whose delivery failed, for the worker to fail (and retry) alone: an
 * event of several messages of which some were delivered fails with NotDelivered, which
 * retries it with only the others.
 */
async function deliverEvents(
  notifier: Notifier,
  events: readonly OutboxEvent[],
  log: Logger,
  r: Reporting | undefined,
): Promise<Map<bigint, unknown>> {
  const valid: Deliverable[] = [];
  for (const e of events) {
    const messages = messagesOf(e.payload);
    if (messages) {
      for (const message of messages) valid.push({ id: e.id, attempts: e.attempts, message });
    } else log.error({ event_id: String(e.id) }, 'notify event without a valid message; dropped');
  }
  await reportStart(r, valid);
  const outcomes = await notifier.deliverMany(valid.map((v) => v.message));
  await reportOutcomes(r, valid, outcomes);
  const failed = new Map<bigint, { error: unknown; message: NotifyMessage }[]>();
  for (const [i, outcome] of outcomes.entries()) {
    if (!('error' in outcome)) continue;
    const v = valid[i]!;
    failed.set(v.id, [...(failed.get(v.id) ?? []), { error: outcome.error, message: v.message }]);
  }
  const failures = new Map<bigint, unknown>();
  for (const [id, f] of failed) {
    failures.set(id, failureOf(f, valid.filter((v) => v.id === id).length));
  }
  return failures;
}

/**
 * How an event of `count` messages fails when these did not go. When every one failed alike
 * (all for good, or all worth retrying), as a message alone did: with the first error. Else
 * its retry holds only the messages that may still go (NotDelivered); a part refused for good
 * with nothing else left is dead at once with only that part (RefusedForGood). A message
 * refused for good beside one worth retrying is left out of the retry: it is reported failed.
 */
function failureOf(failed: { error: unknown; message: NotifyMessage }[], count: number): unknown {
  const retry = failed.filter((f) => !(f.error instanceof PermanentFailure));
  const first = (retry[0] ?? failed[0])!;
  const alike = retry.length === 0 || retry.length === failed.length;
  if (failed.length === count && alike) return first.error;
  if (retry.length > 0) {
    return new NotDelivered(first.error, { messages: retry.map((f) => f.message) });
  }
  return new RefusedForGood(first.error, { messages: failed.map((f) => f.message) });
}

/** The outbox as one delivery pass uses it. */
interface ClaimPort {
  claim(o: {
    topics: readonly string[];
    max: number;
    leaseSeconds: number;
    owner: string;
  }): Promise<OutboxEvent[]>;
  complete(id: bigint, owner: string): Promise<unknown>;
  fail(id: bigint, owner: string, error: unknown): Promise<unknown>;
}

/**
 * Delivers every ready message now, a claimed batch at a time, as the worker would; for a
 * caller that runs the jobs itself (tests). Returns how many events it handled.
 */
export async function deliverNoticesOnce(options: {
  outbox: ClaimPort;
  notifier: Notifier;
  log: Logger;
  batchSize: number;
  owner?: string;
  reporting?: Reporting | undefined;
}): Promise<number> {
  const owner = options.owner ?? `notify-once-${process.pid}`;
  const claim = { topics: [NOTIFY_TOPIC], max: options.batchSize, leaseSeconds: 30, owner };
  let handled = 0;
  for (;;) {
    const events = await options.outbox.claim(claim);
    if (events.length === 0) return handled;
    const failures = await deliverEvents(options.notifier, events, options.log, options.reporting);
    for (const e of events) {
      if (failures.has(e.id)) await options.outbox.fail(e.id, owner, failures.get(e.id));
      else await options.outbox.complete(e.id, owner);
    }
    handled += events.length;
  }
}

/** Runs the delivery worker until signal aborts (main.ts starts one per process). */
export function notifyWorker(options: {
  outbox: WorkerRunner;
  notifier: Notifier;
  log: Logger;
  signal: AbortSignal;
  owner?: string;
  pollMs?: number;
  reporting?: Reporting | undefined;
}): Promise<void> {
  const r = options.reporting;
  return options.outbox.runWorker({
    topics: [NOTIFY_TOPIC],
    // A bundle may hold several receipts' messages: fewer events per claim keep the messages
    // one lease must cover where they were.
    batchSize: NOTIFY_CLAIM_EVENTS_MAX,
    handler: (event) => deliverEvent(options.notifier, event, options.log, r),
    batchHandler: (events) => deliverEvents(options.notifier, events, options.log, r),
    owner: options.owner ?? `notify-${process.pid}`,
    pollMs: options.pollMs ?? 250,
    signal: options.signal,
  });
}
