import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KinkoError } from '../lib/errors.ts';
import { cardPlatform, type CardPlatform } from '../../test/helpers/cards.ts';

const actor = { type: 'merchant' as const, id: 'mer_test' };

async function pay(
  p: CardPlatform,
  pan: string,
  options: { key?: string; amount?: bigint; cvc?: string } = {},
) {
  const brandCvc = pan.startsWith('37') ? '1234' : '123';
  const card = await p.vault.tokenize({ number: pan, expMonth: 12, expYear: 2030, actor });
  return p.vault.authorize({
    token: card.token,
    cvc: options.cvc ?? brandCvc,
    amountMinor: options.amount ?? 5000n,
    currency: 'JPY',
    attemptId: `pay_${options.key ?? pan}`,
    idempotencyKey: options.key ?? `k_${pan}`,
    challenge: { notifyOrigin: p.publicOrigin, frameOrigins: ['http://127.0.0.1:4455'] },
    actor,
  });
}

test('the published test cards answer as integrators expect', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const expect: Array<[string, string, string | null]> = [
    ['4242424242424242', 'authorized', null],
    ['3566002020360505', 'authorized', null],
    ['378282246310005', 'authorized', null],
    ['4000000000000002', 'declined', 'card_declined'],
    ['4000000000009995', 'declined', 'insufficient_funds'],
    ['4000000000000069', 'declined', 'expired_card'],
    ['4000000000000127', 'declined', 'incorrect_cvc'],
    ['4000000000000119', 'failed', 'processing_error'],
    ['4000000000003220', 'requires_challenge', null],
    ['4000000000003063', 'requires_challenge', null],
  ];
  for (const [pan, status, code] of expect) {
    const a = await pay(p, pan);
    assert.equal(a.status, status, pan);
    assert.equal(a.declineCode, code, pan);
    assert.equal(a.challenge !== null, status === 'requires_challenge', pan);
  }
  assert.equal(p.simulator.stats().approvedHolds, 3);
});

test('3-D Secure: the right code authorizes; the result is bound to the attempt', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await pay(p, '4000000000003220', { key: 'att_1' });
  assert.ok(a.challenge);
  const info = await p.acquirer.challengePage(a.challenge.id);
  assert.match(info.devCode ?? '', /^\d{6}$/);
  const wrong = info.devCode === '000000' ? '111111' : '000000';
  let r = await p.acquirer.answerChallenge(a.challenge.id, wrong);
  assert.equal(r.status, 'pending');
  assert.equal(r.attemptsLeft, 2);
  r = await p.acquirer.answerChallenge(a.challenge.id, info.devCode!);
  assert.equal(r.status, 'authenticated');
  assert.equal(r.authorization.status, 'authorized');
  assert.equal(r.authorization.attemptId, 'pay_att_1');
  // Answering again changes nothing.
  r = await p.acquirer.answerChallenge(a.challenge.id, info.devCode!);
  assert.equal(r.status, 'authenticated');
  assert.equal(p.simulator.stats().approvedHolds, 1);
});

test('a failed challenge never charges: 3063 fails, capture is refused', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await pay(p, '4000000000003063');
  const r = await p.acquirer.answerChallenge(a.challenge!.id, '123456');
  assert.equal(r.status, 'failed');
  assert.equal(r.authorization.status, 'challenge_failed');
  await assert.rejects(
    p.acquirer.capture({ idempotencyKey: 'cap1', authorizationId: a.id, amountMinor: 5000n }),
    (e: unknown) => e instanceof KinkoError && e.code === 'authorization_not_capturable',
  );
  assert.equal(p.simulator.stats().approvedHolds, 0);
  assert.equal(p.simulator.stats().capturedMinor, 0n);
});

test('three wrong codes fail the challenge; the fourth, right, code is refused', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await pay(p, '4000000000003220');
  const code = (await p.acquirer.challengePage(a.challenge!.id)).devCode!;
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 3; i++) await p.acquirer.answerChallenge(a.challenge!.id, wrong);
  const r = await p.acquirer.answerChallenge(a.challenge!.id, code);
  assert.equal(r.status, 'failed');
  assert.equal(r.authorization.status, 'challenge_failed');
  assert.equal(p.simulator.stats().approvedHolds, 0);
});

test('an abandoned challenge expires and never charges, even if answered late', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await pay(p, '4000000000003220');
  const code = (await p.acquirer.challengePage(a.challenge!.id)).devCode!;
  p.clock.advanceMs(p.limits.acquirerChallengeSecondsMax * 1000 + 1);
  assert.equal(await p.acquirer.expireChallenges(), 1);
  const r = await p.acquirer.answerChallenge(a.challenge!.id, code);
  assert.equal(r.status, 'expired');
  assert.equal(r.authorization.status, 'challenge_expired');
  assert.equal(p.simulator.stats().approvedHolds, 0);
  assert.equal(p.simulator.stats().calls.abandonChallenge, 1);
});

test('a retry with the same idempotency key returns the same authorization', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const req = {
    token: card.token,
    cvc: '123',
    amountMinor: 900n,
    currency: 'JPY',
    attemptId: 'pay_r',
    idempotencyKey: 'idem_r',
    challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
    actor,
  };
  const first = await p.vault.authorize(req);
  const again = await p.vault.authorize(req);
  assert.equal(again.id, first.id);
  assert.equal(p.simulator.stats().approvedHolds, 1);
  await assert.rejects(
    p.vault.authorize({ ...req, amountMinor: 901n }),
    (e: unknown) => e instanceof KinkoError && e.code === 'acquirer_idempotency_key_reused',
  );
});

test('a lost answer is retried with the same key; the network holds once', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const req = {
    token: card.token,
    cvc: '123',
    amountMinor: 700n,
    currency: 'JPY',
    attemptId: 'pay_t',
    idempotencyKey: 'idem_t',
    challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
    actor,
  };
  p.simulator.injectFault('authorize', 'lost_answer');
  const started = Date.now();
  await assert.rejects(
    p.vault.authorize(req),
    (e: unknown) => e instanceof KinkoError && e.code === 'acquirer_timeout',
  );
  assert.ok(Date.now() - started < 2000, 'the call gave up at its timeout');
  const [row] = await p.db
    .sql`select status from acquirer_authorizations where idempotency_key = 'idem_t'`;
  assert.equal(row!['status'], 'pending');
  const retried = await p.vault.authorize(req);
  assert.equal(retried.status, 'authorized');
  assert.equal(p.simulator.stats().approvedHolds, 1, 'one hold, not two');
});

test('network errors and plain timeouts are named errors; nothing is held', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const base = {
    token: card.token,
    amountMinor: 700n,
    currency: 'JPY',
    attemptId: 'pay_n',
    challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
    actor,
  };
  p.simulator.injectFault('authorize', 'network_error');
  await assert.rejects(
    p.vault.authorize({ ...base, idempotencyKey: 'n1' }),
    (e: unknown) => e instanceof KinkoError && e.code === 'acquirer_unreachable',
  );
  p.simulator.injectFault('authorize', 'timeout');
  await assert.rejects(
    p.vault.authorize({ ...base, idempotencyKey: 'n2' }),
    (e: unknown) => e instanceof KinkoError && e.code === 'acquirer_timeout',
  );
  assert.equal(p.simulator.stats().approvedHolds, 0);
});

test('capture, refund, void are idempotent; a retried capture captures once', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await pay(p, '4242424242424242', { amount: 10_000n });
  p.simulator.injectFault('capture', 'lost_answer');
  const cap = { idempotencyKey: 'cap_1', authorizationId: a.id, amountMinor: 10_000n };
  await assert.rejects(
    p.acquirer.capture(cap),
    (e: unknown) => e instanceof KinkoError && e.code === 'acquirer_timeout',
  );
  const c1 = await p.acquirer.capture(cap);
  const c2 = await p.acquirer.capture(cap);
  assert.equal(c1.status, 'succeeded');
  assert.equal(c2.id, c1.id);
  assert.equal(p.simulator.stats().capturedMinor, 10_000n);
  const ref = { idempotencyKey: 'ref_1', authorizationId: a.id, amountMinor: 4_000n };
  await p.acquirer.refund(ref);
  await p.acquirer.refund(ref);
  assert.equal(p.simulator.stats().refundedMinor, 4_000n);
  await assert.rejects(
    p.acquirer.refund({ idempotencyKey: 'ref_2', authorizationId: a.id, amountMinor: 7_000n }),
    (e: unknown) => e instanceof KinkoError && e.code === 'authorization_not_refundable',
  );
  const b = await pay(p, '5555555555554444');
  const v = await p.acquirer.void({ idempotencyKey: 'void_1', authorizationId: b.id });
  assert.equal(v.authorization.status, 'voided');
  await assert.rejects(
    p.acquirer.capture({ idempotencyKey: 'cap_v', authorizationId: b.id, amountMinor: 1n }),
    (e: unknown) => e instanceof KinkoError && e.code === 'authorization_not_capturable',
  );
});
