import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { merchantApi, type MerchantApi } from '../../test/helpers/merchant-api.ts';
import { KinkoError } from '../lib/errors.ts';

let api: MerchantApi;
before(async () => {
  api = await merchantApi();
});
after(() => api.close());

const cli = { type: 'cli' as const };
const store = { name: 'Ginza', mcc: '5812', city: 'Tokyo', postalCode: '104-0061' };

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => e instanceof KinkoError && e.code === code);
}

test('a merchant gets a secret key, a publishable key, a store and a terminal', async () => {
  const c = await api.merchants.createMerchant(
    { name: 'Shop', mode: 'test', allowedOrigins: ['https://shop.example'], store },
    cli,
  );
  assert.match(c.secretKey, /^sk_test_[A-Za-z0-9_-]{43}$/, '256 random bits');
  assert.match(c.publishableKey, /^pk_test_[A-Za-z0-9_-]{32}$/);
  assert.match(c.terminalSecret ?? '', /^tk_[A-Za-z0-9_-]{43}$/);
  assert.equal(c.store?.mcc, '5812');
  // Secrets are stored only as hashes; the display prefix is not enough to use them.
  const rows = await api.db
    .sql`select * from merchants_api_keys where merchant_id = ${c.merchantId}`;
  const dump =
    JSON.stringify(rows) + JSON.stringify(await api.db.sql`select * from merchants_terminals`);
  assert.ok(!dump.includes(c.secretKey) && !dump.includes(c.terminalSecret ?? 'x'));
  assert.ok(
    c.secretKey.startsWith(String(rows.find((r) => r['kind'] === 'secret')?.['display_prefix'])),
  );

  const p = await api.merchants.authenticateSecretKey(`Bearer ${c.secretKey}`);
  assert.deepEqual(p, {
    merchantId: c.merchantId,
    actor: { type: 'api_key', id: c.keys[0]?.id },
    scopes: ['*'],
    mode: 'test',
    kind: 'secret',
    storeIds: null,
  });
  const pk = await api.merchants.resolvePublishableKey(c.publishableKey);
  assert.deepEqual(pk?.allowedOrigins, ['https://shop.example']);
  assert.equal(pk?.cardDataCapable, false);
  assert.equal(
    (await api.merchants.directory.resolveSecretKey(c.secretKey))?.merchantId,
    c.merchantId,
  );
  const t = await api.merchants.authenticateTerminal(c.terminal?.id ?? '', c.terminalSecret ?? '');
  assert.equal(t.storeId, c.store?.id);
  await rejectsWith(
    api.merchants.authenticateTerminal(c.terminal?.id ?? '', `tk_${'A'.repeat(43)}`),
    'terminal_credentials_invalid',
  );
  await rejectsWith(
    api.merchants.authenticateTerminal(`term_${'x'.repeat(22)}`, c.terminalSecret ?? ''),
    'terminal_credentials_invalid',
  );
  const actions = await api.db.sql`select action from audit_entries order by id`;
  assert.deepEqual(
    actions.map((a) => a['action']),
    [
      'merchants.merchant.created',
      'merchants.api_key.created',
      'merchants.api_key.created',
      'merchants.store.created',
      'merchants.terminal.created',
    ],
  );
});

test('unknown, malformed, revoked and rolled-then-expired keys get distinct answers', async () => {
  const c = await api.merchants.createMerchant({ name: 'Keys' }, cli);
  await rejectsWith(api.merchants.authenticateSecretKey(undefined), 'api_key_invalid');
  await rejectsWith(api.merchants.authenticateSecretKey('Bearer nope'), 'api_key_invalid');
  await rejectsWith(
    api.merchants.authenticateSecretKey(`sk_live_${'A'.repeat(43)}`),
    'api_key_invalid',
  );
  await rejectsWith(api.merchants.authenticateSecretKey(c.publishableKey), 'api_key_invalid');
  const oldId = c.keys[0]?.id ?? '';
  const rolled = await api.merchants.rollApiKey(c.merchantId, oldId, { overlapSeconds: 3600 }, cli);
  assert.match(rolled.value, /^sk_live_/);
  assert.equal(rolled.previous.status, 'expiring');
  // During the overlap both keys work.
  assert.equal((await api.merchants.authenticateSecretKey(c.secretKey)).actor.id, oldId);
  assert.equal((await api.merchants.authenticateSecretKey(rolled.value)).actor.id, rolled.key.id);
  api.clock.advanceMs(3600_000);
  await rejectsWith(api.merchants.authenticateSecretKey(c.secretKey), 'api_key_expired');
  await api.merchants.revokeApiKey(c.merchantId, rolled.key.id, cli);
  await rejectsWith(api.merchants.authenticateSecretKey(rolled.value), 'api_key_revoked');
  await rejectsWith(
    api.merchants.revokeApiKey(c.merchantId, rolled.key.id, cli),
    'api_key_already_revoked',
  );
  await rejectsWith(
    api.merchants.rollApiKey(c.merchantId, oldId, { overlapSeconds: 8 * 86_400 }, cli),
    'api_key_overlap_invalid',
  );
  const keys = await api.merchants.listApiKeys(c.merchantId);
  const statusOf = (id: string) => keys.find((k) => k.id === id)?.status;
  assert.equal(statusOf(oldId), 'expired');
  assert.equal(statusOf(rolled.key.id), 'revoked');
  assert.equal(statusOf(c.keys[1]?.id ?? ''), 'active', 'the publishable key is untouched');
});

test('allowed origins must be exact https origins', async () => {
  const c = await api.merchants.createMerchant({ name: 'Origins' }, cli);
  for (const bad of [
    'https://a.example/',
    'https://a.example/path',
    'javascript:alert(1)',
    'https://u@a.example',
    '*',
  ]) {
    await rejectsWith(api.merchants.setAllowedOrigins(c.merchantId, [bad], cli), 'origin_invalid');
  }
  const ok = await api.merchants.setAllowedOrigins(
    c.merchantId,
    ['https://b.example', 'https://a.example:8443', 'https://b.example'],
    cli,
  );
  assert.deepEqual(ok, ['https://a.example:8443', 'https://b.example']);
});

test('the /v1 routes: scopes, stores, terminals, keys shown once', async () => {
  const c = await api.merchants.createMerchant({ name: 'Http' }, cli);
  const auth = { authorization: `Bearer ${c.secretKey}` };
  let res = await api.app.inject({ method: 'GET', url: '/v1/stores' });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error.code, 'api_key_invalid');
  res = await api.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { ...auth, 'idempotency-key': 's1' },
    payload: { name: 'Shibuya', mcc: '5411', city: 'Tokyo', postal_code: '150-0002' },
  });
  assert.equal(res.statusCode, 201, res.body);
  const storeId = res.json().id as string;
  res = await api.app.inject({
    method: 'POST',
    url: '/v1/api_keys',
    headers: { ...auth, 'idempotency-key': 'k1' },
    payload: { kind: 'restricted', scopes: ['merchants:read'] },
  });
  assert.equal(res.statusCode, 201, res.body);
  const rk = res.json().secret as string;
  assert.match(rk, /^rk_live_/);
  // A replay of a response that showed a secret does not show it again.
  const again = await api.app.inject({
    method: 'POST',
    url: '/v1/api_keys',
    headers: { ...auth, 'idempotency-key': 'k1' },
    payload: { kind: 'restricted', scopes: ['merchants:read'] },
  });
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json().secret, '[redacted]');
  assert.equal(again.json().id, res.json().id);
  const stored = await api.db.sql`select response_body from idempotency_keys`;
  assert.ok(!JSON.stringify(stored).includes(rk), 'no secret in the idempotency table');

  const rauth = { authorization: `Bearer ${rk}` };
  res = await api.app.inject({ method: 'GET', url: '/v1/stores', headers: rauth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().data[0].id, storeId);
  res = await api.app.inject({
    method: 'POST',
    url: '/v1/terminals',
    headers: { ...rauth, 'idempotency-key': 't1' },
    payload: { store_id: storeId, name: 'Register 9' },
  });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'api_key_scope_missing');
  res = await api.app.inject({
    method: 'POST',
    url: '/v1/terminals',
    headers: { ...auth, 'idempotency-key': 't1' },
    payload: { store_id: storeId, name: 'Register 9' },
  });
  assert.equal(res.statusCode, 201);
  assert.match(res.json().secret, /^tk_/);
  const denied = await api.db.sql`
    select outcome from audit_entries where action = 'merchants.api_key.used' order by id`;
  assert.deepEqual(
    denied.map((d) => d['outcome']),
    ['success', 'success', 'success', 'denied', 'success'],
    'every write request is audited, refused ones as denied',
  );
});

test('a restricted key cannot mint keys, even with every scope', async () => {
  const c = await api.merchants.createMerchant({ name: 'Escalate' }, cli);
  const r = await api.merchants.createApiKey(
    c.merchantId,
    {
      kind: 'restricted',
      mode: 'live',
      scopes: ['payments:write', 'merchants:write', 'webhooks:write'],
    },
    cli,
  );
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/api_keys',
    headers: { authorization: `Bearer ${r.value}`, 'idempotency-key': 'x' },
    payload: { kind: 'secret' },
  });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'api_key_scope_missing');
  const roll = await api.app.inject({
    method: 'POST',
    url: `/v1/api_keys/${r.key.id}/roll`,
    headers: { authorization: `Bearer ${r.value}`, 'idempotency-key': 'y' },
    payload: {},
  });
  assert.equal(roll.statusCode, 403);
  await rejectsWith(
    api.merchants.createApiKey(
      c.merchantId,
      { kind: 'restricted', mode: 'live', scopes: ['keys:write'] },
      cli,
    ),
    'api_key_scopes_invalid',
  );
});

test("one merchant cannot see or touch another merchant's records", async () => {
  const a = await api.merchants.createMerchant({ name: 'A', store }, cli);
  const b = await api.merchants.createMerchant({ name: 'B' }, cli);
  const bauth = { authorization: `Bearer ${b.secretKey}` };
  let res = await api.app.inject({ method: 'GET', url: '/v1/stores', headers: bauth });
  assert.deepEqual(res.json().data, []);
  res = await api.app.inject({
    method: 'POST',
    url: `/v1/api_keys/${a.keys[0]?.id}/revoke`,
    headers: { ...bauth, 'idempotency-key': 'r' },
    payload: {},
  });
  assert.equal(res.statusCode, 404);
  res = await api.app.inject({
    method: 'POST',
    url: '/v1/terminals',
    headers: { ...bauth, 'idempotency-key': 't' },
    payload: { store_id: a.store?.id, name: 'sneaky' },
  });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'store_not_found');
  assert.equal((await api.merchants.authenticateSecretKey(a.secretKey)).merchantId, a.merchantId);
});

test('kinko merchants create prints keys and owner link once; bad usage exits 2', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await api.merchants.createMerchantCommand(
    [
      '--name',
      'Cli Shop',
      '--owner-email',
      'owner@cli-shop.example',
      '--store',
      'Umeda',
      '--mcc',
      '5411',
      '--city',
      'Osaka',
      '--postal-code',
      '530-0001',
    ],
    (l) => out.push(l),
    (l) => err.push(l),
  );
  assert.equal(code, 0, err.join('\n'));
  const text = out.join('\n');
  assert.match(text, /sk_live_[A-Za-z0-9_-]{43}\s+\(shown once/);
  assert.match(text, /tk_[A-Za-z0-9_-]{43}\s+\(shown once/);
  assert.match(
    text,
    /owner invitation http:\/\/\S+\/dashboard\/#\/invite\/kmi_[A-Za-z0-9_-]{43}\s/,
  );
  // Without an owner there is no merchant: every merchant has someone who can sign in.
  assert.equal(
    await api.merchants.createMerchantCommand(
      ['--name', 'No Owner'],
      () => {},
      () => {},
    ),
    2,
  );
  assert.equal(
    await api.merchants.createMerchantCommand(
      ['--store', 'x'],
      () => {},
      () => {},
    ),
    2,
  );
  assert.equal(
    await api.merchants.createMerchantCommand(
      ['--name', 'x', '--store', 'y', '--mcc', '12'],
      () => {},
      () => {},
    ),
    2,
  );
});

test('demo seeding creates once, then reports; rotation issues new working secrets', async () => {
  const [first, second] = await Promise.all([
    api.merchants.seedDemoMerchant(),
    api.merchants.seedDemoMerchant(),
  ]);
  assert.equal([first, second].filter((s) => s?.created).length, 1, 'exactly one creation');
  const created = first?.created ? first : second;
  const sk = /sk_live_[A-Za-z0-9_-]{43}/.exec(created?.lines.join('\n') ?? '')?.[0] ?? '';
  assert.ok(sk);
  const later = await api.merchants.seedDemoMerchant();
  assert.equal(later.created, false);
  assert.doesNotMatch(later.lines.join('\n'), /sk_live_[A-Za-z0-9_-]{43}|tk_[A-Za-z0-9_-]{43}/);
  const rotated = await api.merchants.seedDemoMerchant({ rotate: true });
  const text = rotated.lines.join('\n');
  const newSk = /sk_live_[A-Za-z0-9_-]{43}/.exec(text)?.[0] ?? '';
  const tk = /tk_[A-Za-z0-9_-]{43}/.exec(text)?.[0] ?? '';
  const term = /term_[A-Za-z0-9_-]+/.exec(text)?.[0] ?? '';
  assert.equal((await api.merchants.authenticateSecretKey(newSk)).merchantId, rotated.merchantId);
  assert.equal(
    (await api.merchants.authenticateSecretKey(sk)).merchantId,
    rotated.merchantId,
    'overlap',
  );
  assert.equal((await api.merchants.authenticateTerminal(term, tk)).merchantId, rotated.merchantId);
});

test('a demo seeded with test keys gets a live secret key once, for wallet payments', async () => {
  const seeded = await api.merchants.seedDemoMerchant();
  // A demo created before demo keys were live.
  await api.db
    .sql`update merchants_api_keys set mode = 'test' where merchant_id = ${seeded.merchantId}`;
  const next = await api.merchants.seedDemoMerchant();
  const sk = /sk_live_[A-Za-z0-9_-]{43}/.exec(next.lines.join('\n'))?.[0] ?? '';
  const principal = await api.merchants.authenticateSecretKey(sk);
  assert.equal(principal.merchantId, seeded.merchantId);
  assert.equal(principal.mode, 'live');
  const again = await api.merchants.seedDemoMerchant();
  assert.doesNotMatch(again.lines.join('\n'), /sk_live_[A-Za-z0-9_-]{43}/, 'only once');
});
