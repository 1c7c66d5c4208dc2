import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KinkoError } from '../src/lib/errors.ts';
import {
  answerChallenge,
  assertLedgerBalanced,
  get,
  merchantBalance,
  ok,
  post,
  shop,
  webPaymentsHarness,
  type Shop,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';
import { withMailbox } from './helpers/identity-harness.ts';
import { signedInOperator, type SignedInOperator } from './helpers/operators.ts';
import {
  holdWebPaymentsFrom,
  WEB_BLOCK_FROM,
  WEB_REVIEW_FROM,
  WEB_STEP_UP_FROM,
  webReviewOf,
} from './helpers/web-reviews.ts';

// A `review` decision on a merchant's web payment authorizes the card (funds reserved at the
// issuer, nothing captured) and holds the payment in requires_review, whatever its capture
// method; the merchant cannot capture it. Approved, it is captured once however many
// analysts approve; declined, its authorization is voided and nothing moves; left past its
// authorization's validity, the reconcile job voids it. step_up stays 3-D Secure and block
// stays refused before the network. Without the hold, confirm answers succeeded (or
// requires_capture) and every test here fails.

const ANALYST = { operatorId: '0190a0a0-0000-7000-8000-0000000000d1' };
const OTHER = { operatorId: '0190a0a0-0000-7000-8000-0000000000d2' };

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
  await holdWebPaymentsFrom(h.api);
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

type Json = Record<string, unknown>;

const code = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (e) {
    if (e instanceof KinkoError) return e.code;
    throw e;
  }
  return 'no error';
};

async function confirmed(s: Shop, number: string, amount: number, body: Json = {}) {
  const card = await h.vault.tokenize({
    number,
    expMonth: 12,
    expYear: 2030,
    merchantId: s.merchantId,
    actor: { type: 'merchant', id: s.merchantId },
    shopperIp: '133.5.6.7',
  });
  const p = await ok(h, s, '/v1/payments', {
    amount,
    currency: 'JPY',
    payment_method: card.token,
    ...body,
  });
  const res = await post(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  return res.json() as Json;
}

/** A merchant's events in the order they were emitted (seq). */
async function eventTypes(_h: WebPaymentsHarness, merchantId: string): Promise<string[]> {
  const rows = await h.api.db.sql<{ type: string }[]>`
    select type from webhooks_events where merchant_id = ${merchantId} order by seq`;
  return rows.map((r) => r.type);
}

/** What the card network and the ledger did for one payment. */
async function moved(id: string) {
  const [a] = await h.api.db.sql<{ status: string; captured: string }[]>`
    select status, captured_minor::text as captured from acquirer_authorizations
    where attempt_id = ${id}`;
  // Transfers that move money: posts of the pending authorization, or plain transfers.
  const captures = await h.api.db.sql`
    select 1 from ledger_transfers
    where user_data = ${id} and (flags & 4 = 4 or flags & 14 = 0)`;
  const txns = await h.api.db.sql`
    select 1 from payments_balance_transactions where source_id = ${id}`;
  return {
    authorization: a?.status,
    captured: a?.captured,
    captures: captures.length,
    txns: txns.length,
  };
}

test('review: authorized and held, capture refused; racing approvals capture once', async () => {
  const s = await shop(h);
  const held = await confirmed(s, '4242424242424242', 45_000);
  assert.equal(held['status'], 'requires_review', JSON.stringify(held));
  const id = String(held['id']);
  assert.equal(held['amount_received'], 0);
  // Funds reserved at the issuer and pending in the ledger; nothing captured.
  assert.deepEqual(await moved(id), {
    authorization: 'authorized',
    captured: '0',
    captures: 0,
    txns: 0,
  });
  assert.deepEqual(await merchantBalance(h, s), { pending: 45_000n, posted: 0n });
  for (const url of [`/v1/payments/${id}/capture`, `/v1/payments/${id}/confirm`]) {
    const refused = await post(h, s, url, {});
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'payment_under_review');
  }
  assert.equal((await get(h, s, `/v1/payments/${id}`)).json().status, 'requires_review');
  const review = await webReviewOf(h.api, id);
  assert.deepEqual(
    { ...review, id: undefined },
    {
      id: undefined,
      status: 'open',
      merchant_id: s.merchantId,
    },
  );
  assert.deepEqual(await eventTypes(h, s.merchantId), ['payment.created', 'payment.review_opened']);
  // The hold, its review and their audit entries were written together.
  const trail = await h.api.db.sql<{ action: string }[]>`
    select action from audit_entries
    where subject_id in (${id}, ${review.id}) order by id`;
  assert.deepEqual(trail.map((e) => e.action).slice(-2), [
    'payments_web.payment.requires_review',
    'risk.review.opened',
  ]);

  const reviews = h.api.modules.risk.reviews;
  const answers = await Promise.all(
    [ANALYST, OTHER, ANALYST, OTHER].map((who) => reviews.approve(who, review.id, 'known')),
  );
  assert.ok(answers.some((a) => a.subject['status'] === 'succeeded'));
  await reviews.approve(OTHER, review.id, 'again, later');
  assert.equal((await get(h, s, `/v1/payments/${id}`)).json().status, 'succeeded');
  assert.deepEqual(await moved(id), {
    authorization: 'captured',
    captured: '45000',
    captures: 1,
    txns: 1,
  });
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 45_000n });
  assert.deepEqual(await eventTypes(h, s.merchantId), [
    'payment.created',
    'payment.review_opened',
    'payment.review_closed',
    'payment.succeeded',
  ]);
  assert.equal(
    await code(() => reviews.decline(ANALYST, review.id, 'too late')),
    'risk_review_already_decided',
  );
});

test('review with manual capture: approved, it waits for the merchant to capture', async () => {
  const s = await shop(h);
  const held = await confirmed(s, '5555555555554444', 32_000, { capture_method: 'manual' });
  assert.equal(held['status'], 'requires_review');
  const id = String(held['id']);
  const review = await webReviewOf(h.api, id);
  const approved = await h.api.modules.risk.reviews.approve(ANALYST, review.id, 'fine');
  assert.equal(approved.subject['status'], 'requires_capture');
  assert.equal((await get(h, s, `/v1/payments/${id}`)).json().status, 'requires_capture');
  const captured = await ok(h, s, `/v1/payments/${id}/capture`, {});
  assert.equal(captured['status'], 'succeeded');
  assert.deepEqual(await moved(id), {
    authorization: 'captured',
    captured: '32000',
    captures: 1,
    txns: 1,
  });
});

test('decline: the authorization is voided, nothing moves, the merchant is told', async () => {
  const s = await shop(h);
  const held = await confirmed(s, '3566002020360505', 50_000);
  const id = String(held['id']);
  assert.equal(held['status'], 'requires_review');
  const review = await webReviewOf(h.api, id);
  const reviews = h.api.modules.risk.reviews;
  const declined = await reviews.decline(ANALYST, review.id, 'card testing pattern');
  assert.equal(declined.review.status, 'declined');
  assert.equal(declined.subject?.['status'], 'canceled');
  const read = (await get(h, s, `/v1/payments/${id}`)).json();
  assert.equal(read.status, 'canceled');
  assert.equal(read.cancellation_reason, 'review_declined');
  assert.deepEqual(await moved(id), {
    authorization: 'voided',
    captured: '0',
    captures: 0,
    txns: 0,
  });
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
  assert.deepEqual(await eventTypes(h, s.merchantId), [
    'payment.created',
    'payment.review_opened',
    'payment.review_closed',
    'payment.canceled',
  ]);
  const [closed] = await h.api.db.sql<{ body: { data: { object: Json } } }[]>`
    select body::jsonb as body from webhooks_events
    where merchant_id = ${s.merchantId} and type = 'payment.review_closed'`;
  assert.deepEqual(closed!.body.data.object['review'], {
    id: review.id,
    open: false,
    outcome: 'declined',
  });
  assert.equal(
    await code(() => reviews.approve(OTHER, review.id, 'changed my mind')),
    'risk_review_already_decided',
  );
  const trail = await h.api.db.sql<{ action: string; actor_id: string }[]>`
    select action, actor_id from audit_entries
    where action = 'risk.review.declined' and subject_id = ${review.id}`;
  assert.deepEqual([...trail], [{ action: 'risk.review.declined', actor_id: ANALYST.operatorId }]);
});

test('the merchant may cancel a held payment: voided, its review closed', async () => {
  const s = await shop(h);
  const held = await confirmed(s, '378282246310005', 31_000);
  const id = String(held['id']);
  const canceled = await ok(h, s, `/v1/payments/${id}/cancel`, {
    cancellation_reason: 'requested_by_customer',
  });
  assert.equal(canceled['status'], 'canceled');
  assert.equal((await moved(id)).authorization, 'voided');
  const review = await webReviewOf(h.api, id);
  assert.equal(review.status, 'closed');
  assert.equal(
    await code(() => h.api.modules.risk.reviews.approve(ANALYST, review.id, 'ok')),
    'risk_review_already_decided',
  );
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('step_up stays 3-D Secure and block stays refused before the network', async () => {
  const s = await shop(h);
  const stepUp = await confirmed(s, '2223003122003222', WEB_STEP_UP_FROM);
  assert.equal(stepUp['status'], 'requires_action');
  const url = (stepUp['next_action'] as { url: string }).url;
  assert.equal(await answerChallenge(h, url), 'authenticated');
  const done = await ok(h, s, `/v1/payments/${String(stepUp['id'])}/confirm`);
  assert.equal(done['status'], 'succeeded');
  const calls = h.simulator.stats().calls;
  const before = { ...calls };
  const blocked = await confirmed(s, '4000056655665556', WEB_BLOCK_FROM);
  assert.equal((blocked['error'] as Json)['code'], 'payment_blocked_by_risk');
  assert.deepEqual(h.simulator.stats().calls, before, 'the card network was never called');
  assert.ok(WEB_REVIEW_FROM > WEB_STEP_UP_FROM);
});

test('operator API: a held web payment shows its masked card, network and card history', async () => {
  const s = await shop(h);
  const other = await shop(h, 'Other Shop');
  const number = '5200828282828210';
  // The same card number, under two tokens at two merchants, paid before.
  for (const [merchant, amount] of [
    [other, 1_000],
    [s, 1_200],
  ] as const) {
    assert.equal((await confirmed(merchant, number, amount))['status'], 'succeeded');
  }
  const held = await confirmed(s, number, 35_000);
  const id = String(held['id']);
  const ops = withMailbox(h.api);
  const support = await signedInOperator(ops, 41, 'support');
  const analyst = await signedInOperator(ops, 42, 'risk_analyst');
  const call = (method: 'GET' | 'POST', url: string, op: SignedInOperator, payload?: object) =>
    h.api.app.inject({ method, url, headers: op.headers, ...(payload ? { payload } : {}) });

  const queue = await call('GET', '/v1/operator/risk/reviews?kind=web_payment', support);
  assert.equal(queue.statusCode, 200, queue.body);
  const row = (queue.json().data as Json[]).find((r) => r['subject_id'] === id)!;
  assert.equal(row['merchant_id'], s.merchantId);
  assert.equal(row['customer_id'], null);
  assert.equal(row['amount'], '35000');
  const url = `/v1/operator/risk/reviews/${String(row['id'])}`;
  const one = await call('GET', url, analyst);
  assert.equal(one.statusCode, 200, one.body);
  const d = one.json();
  assert.ok(d.decision.rules_fired.includes('web_review_large'));
  assert.equal(d.decision.signals.amount, 35_000);
  const w = d.web_payment;
  assert.equal(w.id, id);
  assert.equal(w.merchant_name, 'Web Shop');
  assert.equal(w.amount, '35000');
  assert.equal(w.status, 'requires_review');
  assert.deepEqual(w.card, { brand: 'mastercard', last4: '8210' });
  assert.equal(w.shopper_network, '133.5.6.0/24');
  assert.deepEqual(
    w.card_payments.map((x: Json) => [x['merchant_id'], x['amount'], x['status']]),
    [
      [s.merchantId, '35000', 'requires_review'],
      [s.merchantId, '1200', 'succeeded'],
      [other.merchantId, '1000', 'succeeded'],
    ],
  );
  // Never the card number, nor its first digits.
  assert.doesNotMatch(one.body, /5200828282828210|520082/);

  const refused = await call('POST', `${url}/approve`, support, { note: 'support tries' });
  assert.equal(refused.statusCode, 403, refused.body);
  const approved = await call('POST', `${url}/approve`, analyst, { note: 'shopper called' });
  assert.equal(approved.statusCode, 200, approved.body);
  assert.equal(approved.json().subject.status, 'succeeded');
  const trail = await h.api.db.sql<{ action: string; actor_id: string }[]>`
    select action, actor_id from audit_entries
    where subject_id = ${String(row['id'])} order by id`;
  assert.deepEqual(
    trail.map((e) => [e.action, e.actor_id]),
    [
      ['risk.review.opened', 'risk'],
      ['risk.review.viewed', analyst.id],
      ['risk.review.approved', analyst.id],
    ],
  );
});

test('an approval racing the merchant cancel: one wins, never a deadlock', async () => {
  const s = await shop(h);
  const cards = ['4000056655665556', '2223003122003222', '378282246310005', '3566002020360505'];
  const held = [];
  for (const [i, number] of cards.entries()) {
    held.push(String((await confirmed(s, number, 33_000 + i))['id']));
  }
  await Promise.all(
    held.map(async (id) => {
      const review = await webReviewOf(h.api, id);
      const [approved, canceled] = await Promise.all([
        code(() => h.api.modules.risk.reviews.approve(ANALYST, review.id, 'race')),
        post(h, s, `/v1/payments/${id}/cancel`, {}),
      ]);
      // Either answer is a named one: a deadlock would be a database error (a 500).
      assert.ok(['no error', 'risk_review_already_decided'].includes(approved), approved);
      assert.ok([200, 409].includes(canceled.statusCode), canceled.body);
      const p = (await get(h, s, `/v1/payments/${id}`)).json();
      const after = (await webReviewOf(h.api, id)).status;
      assert.ok(
        (p.status === 'succeeded' && after === 'approved') ||
          (p.status === 'canceled' && after === 'closed'),
        `${p.status} with its review ${after}`,
      );
    }),
  );
});

test('an approval waits behind a cancel holding the payment, then finds it closed', async () => {
  const s = await shop(h);
  const id = String((await confirmed(s, '6011111111111117', 36_000))['id']);
  const review = await webReviewOf(h.api, id);
  const reviews = h.api.modules.risk.reviews;
  let approving: Promise<string> | undefined;
  // As a cancel does: the payment locked first, its review closed after. An approval
  // locking the review first would deadlock with it.
  await h.api.db.sql.begin(async (tx) => {
    await tx`select 1 from checkout_payments where id = ${id} for update`;
    approving = code(() => reviews.approve(ANALYST, review.id, 'while canceling'));
    await new Promise((r) => setTimeout(r, 300));
    await reviews.close(tx, id, 'payment_canceled');
  });
  assert.equal(await approving, 'risk_review_already_decided');
  assert.equal((await webReviewOf(h.api, id)).status, 'closed');
  assert.equal((await moved(id)).captures, 0);
});

// Last: it moves the shared clock past the authorization's validity.
test('a hold left past its authorization is voided by the reconcile job, audited', async () => {
  const s = await shop(h);
  const held = await confirmed(s, '6011111111111117', 40_000);
  const id = String(held['id']);
  assert.equal(held['status'], 'requires_review');
  const review = await webReviewOf(h.api, id);
  h.api.clock.advanceMs(7 * 24 * 3600 * 1000 + 1000);
  assert.equal(
    await code(() => h.api.modules.risk.reviews.approve(ANALYST, review.id, 'too slow')),
    'payment_authorization_expired',
  );
  await h.ledger.expirePendingTransfers();
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${id}`)).json();
  assert.equal(read.status, 'canceled');
  assert.equal(read.cancellation_reason, 'expired');
  assert.equal((await moved(id)).authorization, 'voided');
  assert.equal((await webReviewOf(h.api, id)).status, 'closed');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
  const trail = await h.api.db.sql<{ action: string }[]>`
    select action from audit_entries where subject_id in (${id}, ${review.id}) order by id`;
  const actions = trail.map((e) => e.action);
  assert.ok(actions.includes('risk.review.closed'), actions.join());
  assert.equal(actions.at(-1), 'payments_web.payment.canceled');
});
