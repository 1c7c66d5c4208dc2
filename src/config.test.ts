import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ConfigError, envName, loadConfig } from './config.ts';

test('defaults: development, port 8080, embedded database under .kinko', () => {
  const c = loadConfig({}, '/srv/kinko');
  assert.equal(c.env, 'development');
  assert.equal(c.port, 8080);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, '/srv/kinko/.kinko');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits));
});

test('an invalid setting stops start-up with a message naming it', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KINKO_ENV: 'staging' }, 'KINKO_ENV'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ KINKO_HTTP_BODY_BYTES_MAX: '-1' }, 'KINKO_HTTP_BODY_BYTES_MAX'],
    [{ KINKO_ENV: 'production' }, 'DATABASE_URL'],
    [{ KINKO_TRUSTED_PROXIES: '10.0.0.0/33' }, 'KINKO_TRUSTED_PROXIES'],
    [{ KINKO_TRUSTED_PROXIES: 'loadbalancer.internal' }, 'KINKO_TRUSTED_PROXIES'],
    [{ KINKO_TRUSTED_PROXIES: '10.0.0.0/8/1' }, 'KINKO_TRUSTED_PROXIES'],
  ];
  for (const [env, setting] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) =>
        e instanceof ConfigError && e.setting === setting && e.message.includes(setting),
      JSON.stringify(env),
    );
  }
});

test('KINKO_TRUSTED_PROXIES: empty by default; CIDR blocks and addresses, comma or space', () => {
  assert.deepEqual(loadConfig({}).trustedProxies, []);
  assert.deepEqual(
    loadConfig({ KINKO_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.10 fd00::/8' }).trustedProxies,
    ['10.0.0.0/8', '192.0.2.10/32', 'fd00::/8'],
  );
});

test('money limits and key files: defaults, and each settable from the environment', () => {
  const c = loadConfig({ HOME: '/home/k' }, '/srv/kinko');
  assert.equal(c.limits.payments.codeSecondsMax, 300);
  assert.equal(c.limits.payments.amountMinorMax, 10_000_000n);
  assert.equal(c.limits.checkout.authorizationSecondsMax, 7 * 86_400);
  assert.equal(c.limits.risk.topup.standard.perTopupMinor, 100_000n);
  assert.equal(c.limits.risk.usageUtcOffsetMinutes, 540);
  assert.ok(Object.isFrozen(c.limits.payments) && Object.isFrozen(c.limits.risk.topup.new));
  assert.deepEqual(
    [c.identitySecretsKeyFile, c.webhookSecretsKeyFile, c.paymentCodeKeyFile, c.auditAnchorFile],
    [
      '/home/k/.config/kinko/identity-secrets.key',
      '/home/k/.config/kinko/webhook-secrets.key',
      '/home/k/.config/kinko/payment-codes.key',
      '/srv/kinko/.kinko/keys/audit-anchor.jsonl',
    ],
  );
  const set = loadConfig(
    {
      KINKO_PAYMENTS_CODE_SECONDS_MAX: '120',
      KINKO_PAYMENTS_BATCH_WINDOW_MS: '0',
      KINKO_CHECKOUT_CALL_LOCK_SECONDS: '30',
      KINKO_RISK_TOPUP_NEW_DAILY_MINOR: '60000',
      KINKO_RISK_USAGE_UTC_OFFSET_MINUTES: '-300',
      KINKO_KEK_FILE: 'keys/vault.json',
      KINKO_PAYMENT_CODE_KEY_FILE: '/etc/kinko/codes.key',
      KINKO_AUDIT_ANCHOR_FILE: '/var/log/kinko/anchor.jsonl',
    },
    '/srv/kinko',
  );
  assert.equal(set.limits.payments.codeSecondsMax, 120);
  assert.equal(set.limits.payments.batchWindowMs, 0);
  assert.equal(set.limits.checkout.callLockSeconds, 30);
  assert.equal(set.limits.risk.topup.new.dailyMinor, 60_000n);
  assert.equal(set.limits.risk.usageUtcOffsetMinutes, -300);
  assert.equal(set.paymentCodeKeyFile, '/etc/kinko/codes.key');
  assert.equal(set.webhookSecretsKeyFile, '/srv/kinko/keys/webhook-secrets.key');
  assert.equal(set.auditAnchorFile, '/var/log/kinko/anchor.jsonl');
});

test('an invalid money limit is refused by name', () => {
  const cases: Array<[Record<string, string>, string]> = [
    // EMVCo CPM: a payment code lives 5 minutes at most.
    [{ KINKO_PAYMENTS_CODE_SECONDS_MAX: '301' }, 'KINKO_PAYMENTS_CODE_SECONDS_MAX'],
    [{ KINKO_PAYMENTS_CODE_SECONDS_MAX: '5m' }, 'KINKO_PAYMENTS_CODE_SECONDS_MAX'],
    [{ KINKO_PAYMENTS_CODE_WATCH_SECONDS_MAX: '60' }, 'KINKO_PAYMENTS_CODE_WATCH_SECONDS_MAX'],
    [{ KINKO_PAYMENTS_BATCH_WINDOW_MS: '-1' }, 'KINKO_PAYMENTS_BATCH_WINDOW_MS'],
    [
      { KINKO_RISK_TOPUP_STANDARD_PER_TOPUP_MINOR: '1.5' },
      'KINKO_RISK_TOPUP_STANDARD_PER_TOPUP_MINOR',
    ],
    [
      { KINKO_RISK_TOPUP_STANDARD_PER_TOPUP_MINOR: '0' },
      'KINKO_RISK_TOPUP_STANDARD_PER_TOPUP_MINOR',
    ],
    // A day's limit below one top-up's is a typo, not a policy.
    [{ KINKO_RISK_TOPUP_NEW_DAILY_MINOR: '20000' }, 'KINKO_RISK_TOPUP_NEW_DAILY_MINOR'],
    [{ KINKO_RISK_USAGE_UTC_OFFSET_MINUTES: '900' }, 'KINKO_RISK_USAGE_UTC_OFFSET_MINUTES'],
    [{ KINKO_CHECKOUT_RECONCILE_BATCH_SIZE_MAX: '0' }, 'KINKO_CHECKOUT_RECONCILE_BATCH_SIZE_MAX'],
    // A card network call must never outlive the lock that keeps others off its payment.
    [
      { KINKO_CHECKOUT_CALL_LOCK_SECONDS: '10', KINKO_ACQUIRER_CALL_TIMEOUT_MS: '10000' },
      'KINKO_CHECKOUT_CALL_LOCK_SECONDS',
    ],
  ];
  for (const [env, setting] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) =>
        e instanceof ConfigError && e.setting === setting && e.message.includes(setting),
      JSON.stringify(env),
    );
  }
});

test('a grouped limit is named by its group and field, most significant word first', () => {
  assert.equal(envName('PAYMENTS', 'codeSecondsMax'), 'KINKO_PAYMENTS_CODE_SECONDS_MAX');
  assert.equal(
    envName('RISK', 'topup_standard_perTopupMinor'),
    'KINKO_RISK_TOPUP_STANDARD_PER_TOPUP_MINOR',
  );
});

test('docs/configuration.md documents every setting Kinko reads', () => {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  read.delete('HOME');
  const doc = fs.readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const missing = [...read].filter((name) => !doc.includes(`| \`${name}\` |`));
  assert.deepEqual(missing, []);
  assert.ok(read.size > 60, `${read.size} settings read`);
});
