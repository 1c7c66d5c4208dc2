import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { hostedHeaders, openHostedPage, type CardPlatform } from './cards.ts';

// Every card flow Kinko has, driven with the same canary card number and security code:
// hosted tokenize (approved, declined, 3-D Secure passed, failed and abandoned), validation
// errors, refused requests, server-to-server tokenize, and an authorization with a challenge,
// capture and refund. Returns every HTTP response body, for the leak searches.

export const CANARY_CVC = '738';
export const CANARY_CID = '7319';
export const CANARY_PANS = [
  '4242424242424242',
  '4000000000003220',
  '4000000000003063',
  '4000000000000002',
  '4000000000000069',
  '4000000000000127',
  '4000000000000119',
  '378282246310005',
];

type Body = Record<string, unknown>;

export async function runEveryCardFlow(p: CardPlatform): Promise<string[]> {
  const bodies: string[] = [];
  const inject = async (o: InjectOptions): Promise<LightMyRequestResponse> => {
    const res = await p.app.inject(o);
    bodies.push(res.body);
    return res;
  };
  const tokenize = async (key: string, card: Body, extra: Record<string, string> = {}) =>
    inject({
      method: 'POST',
      url: '/v1/vault/hosted/tokenize',
      headers: { ...hostedHeaders(p, key), ...extra },
      payload: card,
    });
  const card = (number: string, cvc = CANARY_CVC): Body => ({
    number,
    exp_month: 12,
    exp_year: 2030,
    cvc,
  });
  const page = await openHostedPage(p);
  bodies.push(page.html);

  // Approved, frictionless; and American Express with its four-digit code.
  let res = await tokenize(page.key, card('4242 4242 4242 4242'));
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().status, 'succeeded');
  res = await tokenize((await openHostedPage(p)).key, card('378282246310005', CANARY_CID));
  assert.equal(res.json().status, 'succeeded', res.body);

  // 3-D Secure: passed, failed, abandoned.
  await challengeFlow(p, inject, tokenize, card('4000000000003220'), 'pass');
  await challengeFlow(p, inject, tokenize, card('4000000000003063'), 'fail');
  await challengeFlow(p, inject, tokenize, card('4000000000003220'), 'abandon');

  // Declines, each its own session (five submissions per session at most).
  for (const pan of [
    '4000000000000002',
    '4000000000000069',
    '4000000000000127',
    '4000000000000119',
  ]) {
    res = await tokenize((await openHostedPage(p)).key, card(pan));
    assert.equal(res.statusCode, 402, res.body);
  }
  await refusedFlows(p, inject, tokenize, card);
  await serverToServer(p, inject, card);
  await authorizeWithChallenge(p);
  return bodies;
}

type Inject = (o: InjectOptions) => Promise<LightMyRequestResponse>;
type Tokenize = (
  key: string,
  card: Body,
  extra?: Record<string, string>,
) => Promise<LightMyRequestResponse>;

async function challengeFlow(
  p: CardPlatform,
  inject: Inject,
  tokenize: Tokenize,
  card: Body,
  how: 'pass' | 'fail' | 'abandon',
): Promise<void> {
  const { key } = await openHostedPage(p);
  const res = await tokenize(key, card);
  assert.equal(res.json().status, 'requires_action', res.body);
  const url = res.json().challenge_url as string;
  const html = (await inject({ method: 'GET', url })).body;
  const code = /id="dev-code">(\d{6})</.exec(html)?.[1];
  assert.ok(code, 'the development code is shown');
  if (how === 'abandon') {
    p.clock.advanceMs(p.limits.acquirerChallengeSecondsMax * 1000 + 1000);
  } else {
    const answer = await inject({ method: 'POST', url: `${url}/answer`, payload: { code } });
    assert.equal(answer.json().status, how === 'pass' ? 'authenticated' : 'failed', answer.body);
  }
  const done = await inject({
    method: 'POST',
    url: '/v1/vault/hosted/complete',
    headers: hostedHeaders(p, key),
    payload: {},
  });
  if (how === 'pass') {
    assert.equal(done.json().status, 'succeeded', done.body);
  } else {
    assert.equal(done.json().error.code, 'three_ds_failed', done.body);
  }
}

async function refusedFlows(
  p: CardPlatform,
  inject: Inject,
  tokenize: Tokenize,
  card: (n: string, c?: string) => Body,
) {
  const { key } = await openHostedPage(p);
  const expect = async (r: Awaited<ReturnType<Inject>>, code: string) =>
    assert.equal(r.json().error.code, code, r.body);
  await expect(await tokenize(key, card('4242424242424241')), 'card_number_invalid');
  await expect(
    await tokenize(key, { ...card('4242424242424242'), exp_year: 2020 }),
    'card_expired',
  );
  await expect(
    await tokenize(key, { ...card('4242424242424242'), exp_month: 13 }),
    'card_expiry_invalid',
  );
  await expect(
    await tokenize(key, { ...card('4242424242424242'), holder: 'x' }),
    'parameter_unknown',
  );
  await expect(
    await tokenize(key, card('4242424242424242'), { origin: 'https://evil.example' }),
    'hosted_origin_refused',
  );
  await expect(
    await tokenize('hsk_' + 'A'.repeat(43), card('4242424242424242')),
    'hosted_session_invalid',
  );
  const xml = await inject({
    method: 'POST',
    url: '/v1/vault/hosted/tokenize',
    headers: { ...hostedHeaders(p, key), 'content-type': 'text/plain' },
    payload: JSON.stringify(card('4242424242424242')),
  });
  assert.equal(xml.statusCode, 415);
  const malformed = await inject({
    method: 'POST',
    url: '/v1/vault/hosted/tokenize',
    headers: { ...hostedHeaders(p, key), 'content-type': 'application/json' },
    payload: `{"number":"4242424242424242","cvc":"${CANARY_CVC}"`,
  });
  assert.equal(malformed.statusCode, 400);
}

async function serverToServer(
  p: CardPlatform,
  inject: Inject,
  card: (n: string, c?: string) => Body,
) {
  const refused = await inject({
    method: 'POST',
    url: '/v1/vault/cards',
    headers: { authorization: `Bearer ${p.merchant.secretKey}` },
    payload: card('4242424242424242'),
  });
  assert.equal(refused.json().error.code, 'card_data_not_permitted', refused.body);
  const capable = await p.modules.merchants.createMerchant(
    { name: 'Capable Shop', allowedOrigins: ['https://capable.example'], cardDataCapable: true },
    { type: 'cli' },
  );
  const ok = await inject({
    method: 'POST',
    url: '/v1/vault/cards',
    headers: { authorization: `Bearer ${capable.secretKey}` },
    payload: card('4242424242424242'),
  });
  assert.equal(ok.statusCode, 200, ok.body);
}

async function authorizeWithChallenge(p: CardPlatform): Promise<void> {
  const actor = { type: 'merchant' as const, id: p.merchant.id };
  const c = await p.vault.tokenize({
    number: '4000000000003220',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const challenge = { notifyOrigin: p.publicOrigin, frameOrigins: [] };
  const base = { token: c.token, cvc: CANARY_CVC, currency: 'JPY', challenge, actor };
  const a = await p.vault.authorize({
    ...base,
    amountMinor: 12_345n,
    attemptId: 'pay_c',
    idempotencyKey: 'c1',
  });
  const code = (await p.acquirer.challengePage(a.challenge!.id)).devCode!;
  const r = await p.acquirer.answerChallenge(a.challenge!.id, code);
  assert.equal(r.authorization.status, 'authorized');
  await p.acquirer.capture({
    idempotencyKey: 'cap_c',
    authorizationId: a.id,
    amountMinor: 12_345n,
  });
  await p.acquirer.refund({ idempotencyKey: 'ref_c', authorizationId: a.id, amountMinor: 345n });
  // A network timeout with the code in flight.
  p.simulator.injectFault('authorize', 'timeout');
  await assert.rejects(
    p.vault.authorize({ ...base, amountMinor: 1n, attemptId: 'pay_t', idempotencyKey: 't1' }),
  );
}
