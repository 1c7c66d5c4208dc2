import { assert } from '../lib/assert.ts';
import { NOTIFY_TOPIC, type NotifyMessage } from '../notify/index.ts';
import type { Tx } from '../db/index.ts';
import { RECEIPT_TOPIC, type PaymentsDeps } from './context.ts';
import { paymentJson } from './redeem.ts';
import * as store from './store.ts';
import { yen } from './wallet.ts';

// Receipts: after a top-up, payment or refund commits, its outbox event (written in the same
// transaction) is turned here into the customer's notice — email and SMS, each with its own
// "this was not me" freeze link from identity — and, for merchants, the signed webhook event
// (code_payment.succeeded, store_payment.succeeded, code_payment.refunded). Doing this after
// commit keeps the hot path of a payment to one outbox row; the receipt_sent_at column makes
// a repeated delivery of the event a no-op.

export interface ReceiptEvent {
  kind: store.ReceiptKind;
  id: string;
}

function isReceiptEvent(value: unknown): value is ReceiptEvent {
  const v = value as Partial<ReceiptEvent> | null;
  return (
    !!v &&
    typeof v.id === 'string' &&
    (v.kind === 'topup' || v.kind === 'payment' || v.kind === 'refund')
  );
}

export async function sendReceipt(deps: PaymentsDeps, payload: unknown): Promise<void> {
  assert(isReceiptEvent(payload), 'payments.receipt event without kind and id');
  await deps.sql.begin(async (tx) => {
    if (!(await store.claimReceipt(tx, payload.kind, payload.id, deps.clock.now()))) return;
    const what = await describe(deps, tx, payload);
    const [facts] = await deps.identity.customerFacts(tx, [what.customerId]);
    if (facts) {
      const email = await deps.identity.freezeLink(tx, what.customerId);
      const sms = await deps.identity.freezeLink(tx, what.customerId);
      const messages: NotifyMessage[] = [
        {
          channel: 'email',
          to: facts.email,
          subject: what.subject,
          text: `${what.text}\n\nThis was not me — freeze my account: ${email}`,
        },
        {
          channel: 'sms',
          to: facts.phone,
          subject: what.subject,
          text: `Kinko: ${what.text} Not you? Freeze: ${sms}`,
        },
      ];
      await deps.outbox.enqueue(
        tx,
        messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
      );
    }
    if (what.webhook) await deps.webhooks.emitEvent(tx, what.webhook);
  });
}

interface Described {
  customerId: string;
  subject: string;
  text: string;
  webhook?: { merchantId: string; type: string; data: object };
}

async function describe(deps: PaymentsDeps, tx: Tx, e: ReceiptEvent): Promise<Described> {
  if (e.kind === 'topup') {
    const t = await store.topupById(tx, e.id);
    assert(t, `receipt for unknown top-up ${e.id}`);
    return {
      customerId: t.customer_id,
      subject: `Kinko top-up ${yen(t.amount_minor)}`,
      text: `Your wallet was topped up with ${yen(t.amount_minor)} (receipt ${t.id}).`,
    };
  }
  if (e.kind === 'payment') {
    const p = await store.paymentById(tx, e.id);
    assert(p, `receipt for unknown payment ${e.id}`);
    const type = p.method === 'cpm' ? 'code_payment.succeeded' : 'store_payment.succeeded';
    return {
      customerId: p.customer_id,
      subject: `Kinko payment ${yen(p.amount_minor)}`,
      text: `You paid ${yen(p.amount_minor)} at store ${p.store_id} (receipt ${p.id}).`,
      webhook: { merchantId: p.merchant_id, type, data: { object: paymentJson(p) } },
    };
  }
  const [r] = (await store.refundsOfId(tx, e.id)) ?? [];
  assert(r, `receipt for unknown refund ${e.id}`);
  return {
    customerId: r.customer_id,
    subject: `Kinko refund ${yen(r.amount_minor)}`,
    text: `You were refunded ${yen(r.amount_minor)} for payment ${r.payment_id} (receipt ${r.id}).`,
    webhook: {
      merchantId: r.merchant_id,
      type: 'code_payment.refunded',
      data: {
        object: {
          id: r.id,
          object: 'refund',
          payment_id: r.payment_id,
          amount: r.amount_minor.toString(),
          currency: r.currency,
          created_at: r.created_at.toISOString(),
        },
      },
    },
  };
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
    for (const e of events) {
      await sendReceipt(deps, e.payload);
      await deps.outbox.complete(e.id, owner);
      handled += 1;
    }
  }
}

/** The receipts worker main.ts starts: runs until signal aborts. */
export function receiptsWorker(
  deps: PaymentsDeps,
  options: { signal: AbortSignal; pollMs?: number; owner?: string },
): Promise<void> {
  return deps.outbox.runWorker({
    topics: [RECEIPT_TOPIC],
    handler: (event) => sendReceipt(deps, event.payload),
    owner: options.owner ?? `payments-receipts-${process.pid}`,
    pollMs: options.pollMs ?? 250,
    signal: options.signal,
  });
}
