import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import {
  NOTIFY_BUNDLE_MESSAGES_MAX,
  NOTIFY_TOPIC,
  type NotifyBundle,
  type NotifyMessage,
} from '../notify/index.ts';
import type { NewWebhookEvent } from '../webhooks/index.ts';
import { RECEIPT_TOPIC, receiptEvents, type PaymentsDeps } from './context.ts';
import { paymentJson } from './redeem.ts';
import * as store from './store.ts';
import * as messages from './messages.ts';
import { storeNames } from './wallet.ts';

// Receipts: after a top-up, payment or refund commits, its outbox event (written in the same
// transaction) is turned here into the customer's notice — email and SMS, both with the
// receipt's "this was not me" freeze link from identity — and, for merchants, the signed
// webhook event (code_payment.succeeded, store_payment.succeeded, code_payment.refunded).
// Doing this after commit keeps the hot path of a payment to one outbox row; the
// receipt_sent_at column makes a repeated delivery of the event a no-op.
//
// The worker takes a batch of events at once, in the transaction that handles them (outbox
// `inTransaction`: taking them is completing them): it claims every receipt
// with one statement per kind, reads the customers' contacts at once, mints every freeze link
// with one insert, enqueues every notice with one insert and emits every webhook event with
// one more. A batch that fails is handled again one event at a time by the outbox worker.

/** Not a failure: the outbox tries the event again a second later, as retryAfterSeconds says. */
export class ReceiptTooEarly extends Error {
  readonly retryAfterSeconds = 1;
  constructor(readonly refundIds: readonly string[]) {
    super(`refund receipts wait for their payment's: ${refundIds.join(', ')}`);
    this.name = 'ReceiptTooEarly';
  }
}

interface ReceiptEvent {
  kind: store.ReceiptKind;
  id: string;
}

/** The receipts an event names: one movement's (`id`) or a batch's (`ids`). */
function receiptsOf(value: unknown): ReceiptEvent[] {
  const v = value as { kind?: unknown; id?: unknown; ids?: unknown } | null;
  const kind = v?.kind;
  const ids = typeof v?.id === 'string' ? [v.id] : v?.ids;
  assert(
    (kind === 'topup' || kind === 'payment' || kind === 'refund') &&
      Array.isArray(ids) &&
      ids.length > 0 &&
      ids.every((id) => typeof id === 'string'),
    'payments.receipt event without kind and id',
  );
  return (ids as string[]).map((id) => ({ kind, id }));
}

/**
 * The receipts of a batch of outbox events, in one transaction, in the events' order. An
 * event whose receipt was already sent (a repeated delivery) or names no row is a no-op.
 */
export async function sendReceipts(
  deps: PaymentsDeps,
  payloads: readonly unknown[],
): Promise<void> {
  await deps.sql.begin((tx) => sendReceiptsIn(deps, tx, payloads));
}

/** sendReceipts in the caller's transaction (the worker's, which takes the events in it). */
async function sendReceiptsIn(
  deps: PaymentsDeps,
  tx: Tx,
  payloads: readonly unknown[],
): Promise<void> {
  const events = payloads.flatMap(receiptsOf);
  if (events.length === 0) return;
  const notices = await claim(deps, tx, events);
  if (notices.length === 0) return;
  await notifyCustomers(deps, tx, notices);
  // Receipts are themselves background work: their webhook events are fanned out here, in
  // this transaction, rather than through another outbox event and the fan-out worker.
  await deps.webhooks.emitEventsFannedOut(
    tx,
    notices.flatMap((n) => (n.webhook ? [n.webhook] : [])),
  );
}

interface Notice {
  customerId: string;
  receipt: messages.ReceiptText;
  webhook?: NewWebhookEvent;
}

/** Claims the events' receipts (one statement per kind) and describes them in event order. */
async function claim(deps: PaymentsDeps, tx: Tx, events: ReceiptEvent[]): Promise<Notice[]> {
  const now = deps.clock.now();
  const idsOf = (kind: store.ReceiptKind) => events.filter((e) => e.kind === kind).map((e) => e.id);
  const claimed = new Map<string, Notice>();
  for (const t of await store.claimTopupReceipts(tx, idsOf('topup'), now)) {
    claimed.set(`topup:${t.id}`, topupNotice(t));
  }
  const paid = await store.claimPaymentReceipts(tx, idsOf('payment'), now);
  const names = await storeNames(deps, paid);
  for (const p of paid) {
    claimed.set(`payment:${p.id}`, paymentNotice(p, names.get(p.store_id) ?? p.store_id));
  }
  // A refund's webhook event must follow its payment's (webhooks deliver one payment's events
  // in the order they were emitted): a refund whose payment receipt is still unsent waits.
  // The batch rolls back and the outbox retries it event by event, the payment's first.
  const refunds = idsOf('refund');
  const early = await store.refundsBeforeTheirPayment(tx, refunds);
  if (early.length > 0) throw new ReceiptTooEarly(early);
  for (const [id, notice] of await refundNotices(deps, tx, refunds, now)) {
    claimed.set(`refund:${id}`, notice);
  }
  const notices: Notice[] = [];
  // Refunds last: a retried refund event can be claimed beside its payment's, and its webhook
  // event must still come second. Otherwise the events' order is kept.
  const ordered = [
    ...events.filter((e) => e.kind !== 'refund'),
    ...refunds.map((id) => ({ id, kind: 'refund' as const })),
  ];
  for (const e of ordered) {
    const key = `${e.kind}:${e.id}`;
    const notice = claimed.get(key);
    // A repeated event in the same batch is sent once, as it would be one at a time.
    if (notice) notices.push(notice);
    claimed.delete(key);
  }
  return notices;
}

/**
 * An email and an SMS per notice, both with the notice's one freeze link (one token row, one
 * foreign-key check of the customer, where a link per message took two): whichever the
 * customer follows first freezes the account and spends the link. All enqueued at once.
 */
async function notifyCustomers(deps: PaymentsDeps, tx: Tx, notices: Notice[]): Promise<void> {
  const customerIds = [...new Set(notices.map((n) => n.customerId))];
  const facts = new Map((await deps.identity.customerFacts(tx, customerIds)).map((f) => [f.id, f]));
  const told = notices.filter((n) => facts.has(n.customerId));
  const links = await deps.identity.freezeLinks(
    tx,
    told.map((n) => n.customerId),
  );
  const sent = told.map((n, i): NotifyMessage[] =>
    messages.receiptMessages(n.receipt, facts.get(n.customerId)!, links[i]!),
  );
  // Several notices per outbox event (a bundle), each whole in one: one row to write, lease
  // and delete for up to 8 receipts, where each took one (and each message one before that).
  // The notify worker delivers a bundle's messages one by one and retries only what failed.
  const events: ReturnType<typeof bundleEvent>[] = [];
  let bundle: NotifyMessage[] = [];
  for (const notice of sent) {
    if (bundle.length + notice.length > NOTIFY_BUNDLE_MESSAGES_MAX) {
      events.push(bundleEvent(bundle));
      bundle = [];
    }
    bundle.push(...notice);
  }
  if (bundle.length > 0) events.push(bundleEvent(bundle));
  await deps.outbox.enqueue(tx, events);
}

/** A notify event for these messages; it has no one key, as they go to several people. */
function bundleEvent(bundle: NotifyMessage[]): { topic: string; payload: NotifyBundle } {
  return { topic: NOTIFY_TOPIC, payload: { messages: bundle } };
}

function topupNotice(t: store.TopupRow): Notice {
  return {
    customerId: t.customer_id,
    receipt: messages.topupReceipt(t.amount_minor, t.id),
  };
}

function paymentNotice(p: store.PaymentRow, storeName: string): Notice {
  const type = p.method === 'cpm' ? 'code_payment.succeeded' : 'store_payment.succeeded';
  return {
    customerId: p.customer_id,
    receipt: messages.paymentReceipt(p.amount_minor, storeName, p.id),
    webhook: { merchantId: p.merchant_id, type, object: paymentJson(p), orderKey: p.id },
  };
}

/** Claims these refunds' receipts; each names the store where its payment was made. */
async function refundNotices(
  deps: PaymentsDeps,
  tx: Tx,
  ids: readonly string[],
  now: Date,
): Promise<[string, Notice][]> {
  const refunds = await store.claimRefundReceipts(tx, ids, now);
  const paid = await store.paymentStores(tx, [...new Set(refunds.map((r) => r.payment_id))]);
  const names = await storeNames(deps, paid);
  const storeOf = new Map(paid.map((p) => [p.id, p.store_id]));
  return refunds.map((r) => {
    const storeId = storeOf.get(r.payment_id);
    const name = (storeId && names.get(storeId)) ?? storeId ?? r.payment_id;
    return [r.id, refundNotice(r, name)];
  });
}

function refundNotice(r: store.RefundRow, storeName: string): Notice {
  return {
    customerId: r.customer_id,
    receipt: messages.refundReceipt(r.amount_minor, storeName, r.id),
    webhook: {
      merchantId: r.merchant_id,
      type: 'code_payment.refunded',
      object: {
        id: r.id,
        object: 'refund',
        payment_id: r.payment_id,
        amount: r.amount_minor.toString(),
        currency: r.currency,
        created_at: r.created_at.toISOString(),
      },
      orderKey: r.payment_id,
    },
  };
}

/**
 * The taken events' receipts. A batch's event taken alone (the worker handles a failed batch
 * again one event at a time) is tried under a savepoint: when it fails, it is replaced, in
 * this transaction, by an event per receipt, so the one that fails then fails alone, as
 * when every payment had its own event.
 */
async function sendTaken(deps: PaymentsDeps, tx: Tx, payloads: readonly unknown[]) {
  const [only] = payloads;
  const receipts = payloads.length === 1 ? receiptsOf(only) : [];
  if (receipts.length <= 1) return sendReceiptsIn(deps, tx, payloads);
  try {
    await tx.savepoint((sp) => sendReceiptsIn(deps, sp, payloads));
  } catch (err) {
    deps.log.warn({ err, receipts: receipts.length }, 'receipt batch failed; split per receipt');
    const kind = receipts[0]!.kind;
    assert(
      receipts.every((r) => r.kind === kind),
      'a batch receipt event has one kind',
    );
    await deps.outbox.enqueue(
      tx,
      receipts.flatMap((r) => receiptEvents(r.kind, [r.id])),
    );
  }
}

/** Sends every pending receipt now (tests, CLI); returns how many events it handled. */
export async function sendReceiptsOnce(deps: PaymentsDeps, owner = 'payments-receipts-once') {
  let handled = 0;
  for (;;) {
    const events = await deps.outbox.claim({
      topics: [RECEIPT_TOPIC],
      max: 100,
      leaseSeconds: 60,
      owner,
    });
    if (events.length === 0) return handled;
    await sendReceipts(
      deps,
      events.map((e) => e.payload),
    );
    await deps.outbox.completeMany(
      events.map((e) => e.id),
      owner,
    );
    handled += events.length;
  }
}

/**
 * The receipts worker main.ts starts: runs until signal aborts. Its work is all in the
 * database, so it takes its events in the transaction that sends their receipts.
 */
export function receiptsWorker(
  deps: PaymentsDeps,
  options: { signal: AbortSignal; pollMs?: number; owner?: string },
): Promise<void> {
  return deps.outbox.runWorker({
    topics: [RECEIPT_TOPIC],
    inTransaction: (tx, events) =>
      sendTaken(
        deps,
        tx,
        events.map((e) => e.payload),
      ),
    owner: options.owner ?? `payments-receipts-${process.pid}`,
    pollMs: options.pollMs ?? 250,
    signal: options.signal,
  });
}
