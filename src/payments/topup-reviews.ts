import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { NOTIFY_TOPIC } from '../notify/index.ts';
import type { Assessment, OperatorActor, Review, ReviewHandlers } from '../risk/index.ts';
import { entry, type PaymentsDeps, type Source } from './context.ts';
import * as messages from './messages.ts';
import * as store from './store.ts';
import { storeNames } from './wallet.ts';

// Top-ups held for review. A `review` decision holds the top-up before the card is charged:
// its row is written `held`, with its risk_reviews row (risk.reviews.hold), its audit entry
// and the customer's email, in the transaction that decided; its amount counts in the
// limits while it waits, so held top-ups cannot be stacked past them. Risk's queue calls back:
//   approve — held → processing (same transaction as the review's approval);
//   settle  — after commit: charge and credit through the top-up's own steps, each keyed by
//             the top-up id (acquirer keys `<id>:authorize`/`<id>:capture`, the ledger
//             transfer id), so a second approval, a racing one or one after a crash moves
//             the money once;
//   decline — held → failed (`review_declined`), the limit use given back, the customer
//             told; nothing was charged, so nothing is undone.

export const TOPUP_REVIEW_KIND = 'topup';

/** In the deciding transaction: the row is already `held`; opens its review and tells. */
export async function holdTopup(
  deps: PaymentsDeps,
  tx: Tx,
  t: store.TopupRow,
  a: Assessment,
  source: Source,
): Promise<void> {
  assert(a.record, 'a review decision is recorded');
  const review = await deps.risk.reviews.hold(tx, {
    kind: TOPUP_REVIEW_KIND,
    subjectId: t.id,
    customerId: t.customer_id,
    amountMinor: t.amount_minor,
    currency: t.currency,
    decisionId: a.record.row.id,
    source,
  });
  await deps.audit.append(tx, [
    entry('payments.topup.held', customer(t), subjectOf(t.id), source, {
      amount: t.amount_minor.toString(),
      review_id: review.id,
      risk_reasons: a.reasons,
    }),
  ]);
  await tell(deps, tx, t.customer_id, messages.topupHeldText(t.amount_minor, t.id, a.words));
}

/** How risk's review queue approves and declines a held top-up. */
export function topupReviewHandlers(
  deps: PaymentsDeps,
  continueTopup: (t: store.TopupRow, source: Source) => Promise<{ status: string }>,
): ReviewHandlers {
  return {
    approve: async (tx, review, who) => {
      const t = await heldTopup(tx, review);
      await store.updateTopup(tx, t.id, { status: 'processing', updated_at: deps.clock.now() });
      await deps.audit.append(tx, [
        entry('payments.topup.released', operator(who), subjectOf(t.id), who.source, {
          review_id: review.id,
          amount: t.amount_minor.toString(),
        }),
      ]);
    },
    settle: async (review, who) => {
      const t = await store.topupById(deps.sql, review.subjectId);
      assert(t, 'a reviewed top-up exists');
      if (t.status === 'succeeded' || t.status === 'failed') return topupState(t);
      try {
        await continueTopup(t, who.source ?? { ip: '127.0.0.1' });
      } catch (error) {
        // A declined card or an unanswered capture is the top-up's state, not the approval's
        // failure: the operator sees it, and the customer was told by the top-up's own steps.
        if (!(error instanceof KinkoError) || !error.code.startsWith('topup_')) throw error;
      }
      const after = await store.topupById(deps.sql, review.subjectId);
      assert(after, 'a reviewed top-up exists');
      return topupState(after);
    },
    decline: async (tx, review, who) => {
      const t = await heldTopup(tx, review);
      await store.updateTopup(tx, t.id, {
        status: 'failed',
        failure_code: 'review_declined',
        updated_at: deps.clock.now(),
      });
      await deps.risk.recordUsage(tx, t.customer_id, 'topup', -t.amount_minor);
      await deps.audit.append(tx, [
        entry(
          'payments.topup.failed',
          operator(who),
          subjectOf(t.id),
          who.source,
          { failure_code: 'review_declined', review_id: review.id },
          'failure',
        ),
      ]);
      await tell(deps, tx, t.customer_id, messages.topupDeclinedText(t.amount_minor, t.id));
    },
  };
}

/** The top-up of an open review, locked; it is `held` until the review is decided. */
async function heldTopup(tx: Tx, review: Review): Promise<store.TopupRow> {
  const t = await store.topupById(tx, review.subjectId, true);
  assert(t && t.customer_id === review.customerId, `review ${review.id}: top-up missing`);
  assert(t.status === 'held', `review ${review.id}: top-up ${t.id} is ${t.status}, not held`);
  return t;
}

async function tell(deps: PaymentsDeps, tx: Tx, customerId: string, text: messages.ReceiptText) {
  const [facts] = await deps.identity.customerFacts(tx, [customerId]);
  if (!facts?.email) return;
  const message = messages.emailMessage(text, facts.email);
  await deps.outbox.enqueue(tx, [{ topic: NOTIFY_TOPIC, key: message.to, payload: message }]);
}

const topupState = (t: store.TopupRow) => ({
  object: 'topup',
  id: t.id,
  status: t.status,
  failure_code: t.failure_code,
});
const customer = (t: store.TopupRow) => ({ type: 'customer' as const, id: t.customer_id });
const operator = (who: OperatorActor) => ({ type: 'operator' as const, id: who.operatorId });
const subjectOf = (id: string) => ({ type: 'topup', id });

/** How many top-ups and payments the review page lists. */
const MOVEMENTS_ROWS_MAX = 10;

/** The customer's latest top-ups and wallet payments, newest first (the review page). */
export async function recentMovements(deps: PaymentsDeps, customerId: string) {
  const { topups, payments } = await store.recentMovements(
    deps.sql,
    customerId,
    MOVEMENTS_ROWS_MAX,
  );
  const names = await storeNames(deps, payments);
  return {
    topups: topups.map((t) => ({
      id: t.id,
      amount: t.amount_minor.toString(),
      status: t.status,
      failure_code: t.failure_code,
      risk_decision: t.risk_decision,
      created_at: t.created_at.toISOString(),
    })),
    payments: payments.map((p) => ({
      id: p.id,
      method: p.method,
      amount: p.amount_minor.toString(),
      store_name: names.get(p.store_id) ?? p.store_id,
      risk_decision: p.risk_decision,
      created_at: p.created_at.toISOString(),
    })),
  };
}
