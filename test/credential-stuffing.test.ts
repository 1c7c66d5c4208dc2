import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash } from '@node-rs/argon2';
import { harness } from './helpers/identity-harness.ts';

// Attack (7pay 2019): credential stuffing — a list of leaked email/password pairs tried
// against many accounts from a handful of machines. Per-account counters never trigger
// (two tries per account); the per-source counters (IPv4 /24, IPv6 /64) must. This runs
// 2,000 attempts over 1,000 accounts from five source networks, 1 % of them with the right
// password, and reports how many accounts the attacker got into.

const ACCOUNTS = 1000;
const REAL = 'the real passphrase of this account';
/** Each account's two guesses; for 1 % of accounts (i % 100 === 37) the second is right. */
const guesses = (i: number) => [`leaked-guess-${i}-a`, i % 100 === 37 ? REAL : `leaked-guess-${i}-b`];
// Hosts vary inside each network: counting is per /24 and per /64, not per address.
const SOURCES = [
  (n: number) => `203.0.113.${n % 250}`,
  (n: number) => `198.51.100.${n % 250}`,
  (n: number) => `192.0.2.${n % 250}`,
  (n: number) => `2001:db8:1:2::${(n % 65000).toString(16)}`,
  (n: number) => `::ffff:100.64.7.${n % 250}`,
];

test('a stuffing run over 1,000 accounts from five networks is slowed, blocked and detected', async () => {
  const h = await harness();
  try {
    const limits = h.limits.identity;
    const passwordHash = await hash(REAL, { memoryCost: limits.argon2MemoryKib, timeCost: limits.argon2Passes });
    const now = h.clock.now();
    await h.db.sql`insert into identity_customers (id, email, phone, password_hash, created_at, updated_at)
      select gen_random_uuid(), 'victim' || i || '@example.com', '+8170' || lpad(i::text, 8, '0'),
             ${passwordHash}, ${now}, ${now}
      from generate_series(0, ${ACCOUNTS - 1}) as i`;
    const counts = { attempts: 0, checked: 0, refused429: 0, wrong401: 0 };
    const broken = new Set<number>();
    const started = Date.now();
    for (let i = 0; i < ACCOUNTS; i++) {
      for (const password of guesses(i)) {
        const source = SOURCES[counts.attempts % SOURCES.length]!(counts.attempts);
        const res = await h.app.inject({
          method: 'POST', url: '/v1/identity/login', remoteAddress: source,
          payload: { identifier: `victim${i}@example.com`, password },
        });
        counts.attempts += 1;
        // The attacker fires as fast as it can: ten attempts a second over all sources.
        h.clock.advanceMs(100);
        if (res.statusCode === 429) {
          counts.refused429 += 1;
          assert.ok(Number(res.headers['retry-after']) >= 1);
          continue;
        }
        counts.checked += 1;
        if (res.statusCode === 200) broken.add(i);
        else if (res.statusCode === 401) counts.wrong401 += 1;
        else assert.fail(`unexpected ${res.statusCode} ${res.body}`);
      }
    }
    const knownRight = Array.from({ length: ACCOUNTS }, (_, i) => i).filter((i) => i % 100 === 37).length;
    // The bound: a source is blocked at sourceFailuresBlockAfter failures in its window
    // (the whole run fits in one), so password checks are at most that many failures per
    // source plus the successes; with 1 % right passwords the successes are ~1 % of checks.
    const checksBound = SOURCES.length * limits.sourceFailuresBlockAfter;
    const brokenBound = Math.ceil(checksBound * 0.01 * 2);
    const detected = await h.db.sql`select subject_id from audit_entries where action = 'identity.stuffing.detected'`;
    process.stdout.write(
      `# stuffing: ${counts.attempts} attempts over ${ACCOUNTS} accounts from ${SOURCES.length} networks; ` +
        `${counts.checked} password checks, ${counts.refused429} refused with 429; ` +
        `${broken.size} of ${knownRight} accounts with a leaked right password broken into ` +
        `(bound ${brokenBound} = 2 × 1 % × ${SOURCES.length} networks × ${limits.sourceFailuresBlockAfter} failures); ` +
        `${detected.length} networks detected; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    assert.ok(counts.attempts >= 2000);
    assert.ok(counts.checked - broken.size <= checksBound, 'failed checks never exceed the per-source budget');
    assert.ok(broken.size <= brokenBound, `broken ${broken.size} > bound ${brokenBound}`);
    assert.ok(counts.refused429 >= counts.attempts * 0.8, 'most of the run is refused before any password check');
    assert.deepEqual(
      detected.map((d) => d['subject_id']).sort(),
      ['100.64.7.0/24', '192.0.2.0/24', '198.51.100.0/24', '2001:db8:1:2::/64', '203.0.113.0/24'],
      'each network raised one identity.stuffing.detected audit event',
    );
    // The five blocks are one wave: the first opens the incident, the other four join it.
    const incidents = await h.db.sql<{ kind: string; status: string; signals: number }[]>`
      select kind, status, signals from incidents_records where detector = 'identity.stuffing'`;
    assert.deepEqual(
      incidents.map((r) => ({ ...r })),
      [{ kind: 'identity.credential_stuffing', status: 'open', signals: 5 }],
    );
    // A real customer on another network is not affected.
    const ok = await h.app.inject({
      method: 'POST', url: '/v1/identity/login', remoteAddress: '100.100.100.100',
      payload: { identifier: 'victim1@example.com', password: REAL },
    });
    assert.equal(ok.statusCode, 200);
  } finally {
    await h.close();
  }
});

test('one account: progressive delays, then the password factor is disabled after 100 failures', async () => {
  const h = await harness();
  try {
    const limits = h.limits.identity;
    const passwordHash = await hash(REAL, { memoryCost: limits.argon2MemoryKib, timeCost: limits.argon2Passes });
    const now = h.clock.now();
    await h.db.sql`insert into identity_customers (id, email, phone, password_hash, created_at, updated_at)
      values (gen_random_uuid(), 'target@example.com', '+817000000001', ${passwordHash}, ${now}, ${now})`;
    const attempt = (n: number, password: string) => h.app.inject({
      method: 'POST', url: '/v1/identity/login', remoteAddress: `10.${n % 200}.${n % 7}.1`,
      payload: { identifier: 'target@example.com', password },
    });
    let failures = 0;
    let throttled = 0;
    for (let n = 0; failures < limits.loginFailuresDisableAfter; n++) {
      const res = await attempt(n, `guess ${n}`);
      if (res.statusCode === 429) {
        throttled += 1;
        assert.equal(res.json().error.code, 'login_throttled');
        h.clock.advanceMs(Number(res.headers['retry-after']) * 1000);
        continue;
      }
      assert.equal(res.statusCode, 401);
      failures += 1;
    }
    assert.ok(throttled >= limits.loginFailuresDisableAfter - limits.loginFailuresFreeMax - 1);
    h.clock.advanceMs(limits.loginDelaySecondsMax * 1000);
    const right = await attempt(1000, REAL);
    assert.equal(right.json().error.code, 'password_login_disabled', 'even the right password: recover first');
    const entries = await h.db.sql`select 1 from audit_entries where action = 'identity.password.disabled'`;
    assert.equal(entries.length, 1);
  } finally {
    await h.close();
  }
});
