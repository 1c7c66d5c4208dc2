import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.ts';

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
