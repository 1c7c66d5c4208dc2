import type { OutboxEvent } from '../outbox/index.ts';
import type { Logger } from '../lib/log.ts';
import { isNotifyMessage, NOTIFY_TOPIC } from './message.ts';
import type { Notifier } from './notifier.ts';

// Notify: delivers messages to people (email, SMS) from the outbox.
//
// Glossary
// - message: one text to one address over one channel (NotifyMessage).
// - channel: email or sms.
// - dev mailbox: where messages go when no real sender is configured (development, test);
//   readable at GET /dev/mailbox?to=ADDRESS, which exists only in those modes.
// - notify worker: an outbox worker on topic notify.message that calls the notifier.

export { NOTIFY_TOPIC, isNotifyMessage, type NotifyMessage, type Channel } from './message.ts';
export {
  createNotifier,
  DeliveryUnavailable,
  type Notifier,
  type NotifierDeps,
  type SmsSender,
} from './notifier.ts';
export { devMailboxRoutes } from './routes.ts';

export interface WorkerRunner {
  runWorker(options: {
    topics?: readonly string[];
    handler: (event: OutboxEvent, signal: AbortSignal) => Promise<void>;
    owner: string;
    pollMs: number;
    signal: AbortSignal;
  }): Promise<void>;
}

/** Handles one outbox event: a malformed payload is logged and dropped, never retried. */
export async function deliverEvent(
  notifier: Notifier,
  event: OutboxEvent,
  log: Logger,
): Promise<void> {
  if (!isNotifyMessage(event.payload)) {
    log.error({ event_id: String(event.id) }, 'notify event without a valid message; dropped');
    return;
  }
  await notifier.deliver(event.payload);
}

/** Runs the delivery worker until signal aborts (main.ts starts one per process). */
export function notifyWorker(options: {
  outbox: WorkerRunner;
  notifier: Notifier;
  log: Logger;
  signal: AbortSignal;
  owner?: string;
  pollMs?: number;
}): Promise<void> {
  return options.outbox.runWorker({
    topics: [NOTIFY_TOPIC],
    handler: (event) => deliverEvent(options.notifier, event, options.log),
    owner: options.owner ?? `notify-${process.pid}`,
    pollMs: options.pollMs ?? 250,
    signal: options.signal,
  });
}
