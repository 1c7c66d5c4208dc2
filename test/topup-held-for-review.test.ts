import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KinkoError } from '../src/lib/errors.ts';
import { auth } from './helpers/identity-harness.ts';
import {
  balanceOf,
  payPlatform,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';
import { askTopup, holdTopupsFrom, reviewOf } from './helpers/reviews.ts';

// A `review` decision holds a top-up before the card is charged. Approving it charges and
// credits exactly once — however many analysts approve, at once or again later; declining it
// moves nothing and tells the customer; a subject is held at most once.

const ANALYST = { operatorId: '0190a0a0-0000-7000-8000-0000000000b1' };
const OTHER = { operatorId: '0190a0a0-0000-7000-8000-0000000000b2' };

const code = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (e) {
    if (e instanceof KinkoError) return e.code;
    throw e;
  }
  return 'no error';
};

/** What moved for one top-up: ledger transfers, card authorizations and yen captured. */
async function moved(p: PayPlatform, topupId: string) {
  const [r] = await p.db.sql<{ transfers: number; authorizations: number; captured: string }[]>`
    select
      (select count(*)::int from ledger_transfers where user_data = ${'topup:' + topupId})
        as transfers,
      (select count(*)::int from acquirer_authorizations where attempt_id = ${topupId})
        as authorizations,
      (select coalesce(sum(captured_minor), 0)::text from acquirer_authorizations
        where attempt_id = ${topupId}) as captured`;
  return { ...r! };
}

test('a held top-up charges nothing until approved; racing approvals move it once', async () => {
  const p = await payPlatform();
  try {
    await holdTopupsFrom(p);
    const u = await walletUser(p, 1);
    const t = await askTopup(p, u, 8_000);
    assert.equal(t.status, 'held');
    assert.deepEqual(await moved(p, t.id), { transfers: 0, authorizations: 0, captured: '0' });
    // The customer cannot push a held top-up through: confirming answers its state.
    const confirm = await p.app.inject({
      method: 'POST',
      url: `/v1/wallet/topups/${t.id}/confirm`,
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(confirm.json().status, 'held', confirm.body);
    assert.equal(await balanceOf(p, u), '0');
    const mail = await p.mailbox(u.email);
    assert.ok(mail.some((m) => /has not been charged/.test(m.text)));

    const id = await reviewOf(p, t.id);
    const reviews = p.modules.risk.reviews;
    const answers = await Promise.all(
      [ANALYST, OTHER, ANALYST, OTHER].map((who) => reviews.approve(who, id, 'known customer')),
    );
    for (const a of answers) assert.equal(a.subject.status, 'succeeded');
    assert.equal(await balanceOf(p, u), '8000');
    // Once more, later: a retry after a crash finishes nothing new.
    await reviews.approve(OTHER, id, 'again');
    assert.equal(await balanceOf(p, u), '8000');
    assert.deepEqual(await moved(p, t.id), { transfers: 1, authorizations: 1, captured: '8000' });
    assert.equal(
      await code(() => reviews.decline(OTHER, id, 'too late')),
      'risk_review_already_decided',
    );
    const trail = await p.db.sql<{ action: string; actor_id: string }[]>`
      select action, actor_id from audit_entries
      where action like 'risk.review.%' or action like 'payments.topup.%' order by id`;
    assert.deepEqual(
      trail.map((e) => e.action),
      [
        'payments.topup.created',
        'risk.review.opened',
        'payments.topup.held',
        'payments.topup.released',
        'risk.review.approved',
        'payments.topup.succeeded',
      ],
    );
    const approved = trail.find((e) => e.action === 'risk.review.approved')!;
    assert.ok([ANALYST.operatorId, OTHER.operatorId].includes(approved.actor_id));
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

test('a declined top-up moves nothing, gives the limit back and tells the customer', async () => {
  const p = await payPlatform();
  try {
    await holdTopupsFrom(p);
    const u = await walletUser(p, 2);
    const t = await askTopup(p, u, 9_000);
    assert.equal(t.status, 'held');
    const id = await reviewOf(p, t.id);
    const reviews = p.modules.risk.reviews;
    await reviews.decline(ANALYST, id, 'not the customer');
    assert.equal(
      await code(() => reviews.approve(OTHER, id, 'looks fine')),
      'risk_review_already_decided',
    );
    const topup = await p.app.inject({
      method: 'GET',
      url: `/v1/wallet/topups/${t.id}`,
      headers: auth(u.token),
    });
    assert.equal(topup.json().status, 'failed');
    assert.equal(topup.json().failure_code, 'review_declined');
    assert.equal(await balanceOf(p, u), '0');
    assert.deepEqual(await moved(p, t.id), { transfers: 0, authorizations: 0, captured: '0' });
    const wallet = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
    assert.equal(wallet.json().limits.used.day, '0', 'the held amount is given back');
    const mail = await p.mailbox(u.email);
    assert.ok(mail.some((m) => /was not accepted/.test(m.text)));
  } finally {
    await p.close();
  }
});

test('a subject is held for review only once', async () => {
  const p = await payPlatform();
  try {
    await holdTopupsFrom(p);
    const u = await walletUser(p, 3);
    const t = await askTopup(p, u, 7_500);
    const [decision] = await p.db.sql<{ id: string }[]>`
      select id from risk_decisions where subject_id = ${t.id}`;
    const again = () =>
      p.db.sql.begin((tx) =>
        p.modules.risk.reviews.hold(tx, {
          kind: 'topup',
          subjectId: t.id,
          customerId: u.customerId,
          amountMinor: 7_500n,
          currency: 'JPY',
          decisionId: decision!.id,
        }),
      );
    assert.equal(await code(again), 'risk_review_exists');
    const rows = await p.db.sql`select 1 from risk_reviews where subject_id = ${t.id}`;
    assert.equal(rows.length, 1);
  } finally {
    await p.close();
  }
});

test('an approval whose capture answer was lost is finished by approving again, once', async () => {
  const p = await payPlatform();
  try {
    await holdTopupsFrom(p);
    const u = await walletUser(p, 4);
    const t = await askTopup(p, u, 8_000);
    const id = await reviewOf(p, t.id);
    // The network captures but its answer never arrives, as if Kinko died mid-approval.
    p.simulator.injectFault('capture', 'lost_answer');
    const first = await p.modules.risk.reviews.approve(ANALYST, id, 'known customer');
    assert.equal(first.review.status, 'approved');
    assert.equal(first.subject.status, 'processing');
    assert.equal(await balanceOf(p, u), '0');
    const again = await p.modules.risk.reviews.approve(OTHER, id, 'finishing');
    assert.equal(again.subject.status, 'succeeded');
    assert.equal(await balanceOf(p, u), '8000');
    assert.equal(p.simulator.stats().capturedMinor, 8_000n, 'the card was captured once');
    assert.deepEqual(await moved(p, t.id), { transfers: 1, authorizations: 1, captured: '8000' });
  } finally {
    await p.close();
  }
});
