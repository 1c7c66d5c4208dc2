import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConfigError, loadConfig } from '../src/config.ts';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { testPlatform } from './helpers/platform.ts';
import { payPlatform, idem } from './helpers/payments-platform.ts';

// Attack: server-side request forgery through the page monitor. The monitor loads
// merchant-given URLs from inside Kinko's network, so whoever holds a merchant's key (or
// dashboard session) registers a "checkout page" at the cloud metadata service, the database
// or an admin port and waits for Kinko's browser to go there. Such URLs are refused when
// registered; a name whose DNS answer later turns private (DNS rebinding) — or a page that
// pulls a script from an internal address — is refused when dialled: no connection is made.

const REFUSED = [
  'https://169.254.169.254/latest/meta-data/',
  'https://127.0.0.1/checkout',
  'https://localhost/checkout',
  'https://10.0.0.5/checkout',
  'https://192.168.1.10/checkout',
  'https://[::1]/checkout',
  'https://[::ffff:7f00:1]/checkout',
  'https://[fd00::1]/checkout',
  'http://shop.example/checkout',
  'ftp://shop.example/checkout',
  'https://user:pw@shop.example/checkout',
];

test('private, loopback, link-local and metadata URLs and plain http are refused', async () => {
  const p = await payPlatform();
  try {
    for (const url of REFUSED) {
      const res = await p.app.inject({
        method: 'POST',
        url: '/v1/pages',
        headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
        payload: { url },
      });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.json().error.code, /^page_url_(invalid|private_address)$/, url);
    }
    const [row] = await p.db.sql`select count(*)::int as n from pagewatch_pages
      where merchant_id is not null`;
    assert.equal(row!['n'], 0, 'nothing was registered');
  } finally {
    await p.close();
  }
});

test('the loopback allowance is refused in production', () => {
  const production = { KINKO_ENV: 'production', DATABASE_URL: 'postgres://k@db.internal/kinko' };
  assert.equal(loadConfig(production).secops.pagewatch.allowLoopback, false);
  assert.throws(
    () => loadConfig({ ...production, KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1' }),
    (e: unknown) => e instanceof ConfigError && e.setting === 'KINKO_PAGEWATCH_ALLOW_LOOPBACK',
  );
});

/** A TCP port that counts connections: an internal service the attacker wants reached. */
async function internalService() {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test(
  'an address that turned private after registration is refused when dialled',
  { skip: NO_CHROMIUM },
  async () => {
    const internal = await internalService();
    // Registered where the address was allowed (as a public name's would be), then loaded by
    // a process whose policy refuses it: what a DNS answer changed since registration does.
    const registrar = await payPlatform({ env: { KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1' } });
    const worker = await testPlatform({ beside: registrar, env: {} });
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        await registrar.modules.pagewatch.register(
          registrar.merchant.merchantId,
          { url: `https://${host}:${internal.port}/checkout` },
          { type: 'cli' },
        );
      }
      const pass = await worker.jobs.pagewatchPass();
      assert.equal(internal.connections(), 0, 'the monitor never connected to the address');
      const rows = await worker.db.sql<{ outcome: string; failure: string }[]>`
        select o.outcome, o.failure from pagewatch_observations o
        join pagewatch_pages p on p.id = o.page_id where p.merchant_id is not null`;
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.equal(r.outcome, 'failed');
        assert.match(r.failure, /address refused/);
      }
      assert.ok(pass.failed >= 2);
    } finally {
      await worker.close();
      await registrar.close();
      await internal.close();
    }
  },
);
