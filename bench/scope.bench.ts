import { connect, type Sql } from '../src/db/index.ts';
import type { Incidents } from '../src/incidents/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { startBenchPlatform } from './platform.ts';
import { printReport, round } from './report.ts';

// `npm run bench:scope`: seeds a platform of BENCH_SCOPE_PAYMENTS payments (1,000,000) with
// their customers, devices, sign-ins, cards and top-ups over 30 days, written by SQL
// (generate_series) as the tables' owner, and a 7pay-style takeover wave inside it: 800
// victims signed in from two foreign networks on new devices, topped up 1–3 times and paid at
// mule stores. It then scopes a realistic indicator set (two days, the two networks, two
// mule stores, one BIN) through the incidents service, as an operator's request does, and
// checks the victims are all found. Target: the scope run ≤ 10 s.

const PAYMENTS = Number(process.env['BENCH_SCOPE_PAYMENTS'] ?? 1_000_000);
const CUSTOMERS = Math.max(1000, Math.round(PAYMENTS / 5));
const SIGN_INS = Math.round(PAYMENTS / 2);
const TOPUPS = Math.round(PAYMENTS * 0.3);
const VICTIMS = 800;
const T0 = '2026-03-01T00:00:00Z';
const DAYS = 30;
const ATTACK_FROM = '2026-03-20T00:00:00Z';
const TARGET_SECONDS = 10;

/** One statement per table; every value derived from the row number, so runs are the same. */
function seedStatements(): Array<[string, string]> {
  const span = `interval '${DAYS} days'`;
  const at = (n: string, total: number) =>
    `timestamptz '${T0}' + ${span} * (${n}::float8 / ${total})`;
  const cid = (n: string) => `md5('c' || (${n}))::uuid`;
  return [
    [
      'customers',
      `insert into identity_customers (id, email, phone, password_hash, created_at,
      updated_at) select ${cid('i')}, 'b' || i || '@example.com', '+8170' || lpad(i::text, 8, '0'),
      'x', timestamptz '${T0}', timestamptz '${T0}' from generate_series(1, ${CUSTOMERS}) i`,
    ],
    [
      'devices',
      `insert into identity_devices (id, customer_id, name, public_key, key_thumbprint,
      status, created_at) select md5('d' || i)::uuid, ${cid('i')}, 'phone', '{}', md5('k' || i),
      'confirmed', timestamptz '${T0}' from generate_series(1, ${CUSTOMERS}) i`,
    ],
    [
      'cards',
      `insert into vault_cards (token, customer_id, brand, bin, last4, fingerprint,
      ciphertext, wrapped_key, kek_version, created_at)
      select 'card_' || md5('t' || i), ${cid('i')}::text,
        (array['visa', 'mastercard', 'jcb'])[1 + i % 3],
        (array['411111', '510510', '353011'])[1 + i % 3], lpad((i % 10000)::text, 4, '0'),
        sha256(('f' || i)::bytea), decode(repeat('00', 40), 'hex'),
        decode(repeat('00', 60), 'hex'), 1, timestamptz '${T0}'
      from generate_series(1, ${CUSTOMERS}) i`,
    ],
    [
      'sign_ins',
      `insert into identity_sessions (id, customer_id, token_hash, device_id,
      created_at, last_seen_at, expires_at, source_ip)
      select md5('s' || i)::uuid, ${cid(`1 + i % ${CUSTOMERS}`)}, sha256(('s' || i)::bytea),
        md5('d' || (1 + i % ${CUSTOMERS}))::uuid, ${at('i', SIGN_INS)}, ${at('i', SIGN_INS)},
        ${at('i', SIGN_INS)} + interval '1 day',
        '10.' || (i % 250) || '.' || (i / 250 % 250) || '.' || (1 + i % 200)
      from generate_series(1, ${SIGN_INS}) i`,
    ],
    [
      'topups',
      `insert into payments_topups (id, customer_id, device_id, card_token,
      amount_minor, currency, status, transfer_id, risk_decision, created_at, updated_at)
      select 'tu_' || md5('u' || i), ${cid(`1 + i % ${CUSTOMERS}`)},
        md5('d' || (1 + i % ${CUSTOMERS}))::uuid, 'card_' || md5('t' || (1 + i % ${CUSTOMERS})),
        1000 * (1 + i % 30), 'JPY', 'succeeded', md5('tu' || i)::uuid, 'allow',
        ${at('i', TOPUPS)}, ${at('i', TOPUPS)}
      from generate_series(1, ${TOPUPS}) i`,
    ],
    [
      'payments',
      `insert into payments_payments (id, method, merchant_id, store_id, terminal_id,
      customer_id, device_id, amount_minor, currency, transfer_id, risk_decision, created_at)
      select 'pay_' || md5('p' || i), 'cpm', 'mer_' || lpad((i % 1000)::text, 16, '0'),
        'store_' || lpad((i % 5000)::text, 16, '0'), 'term_' || lpad((i % 5000)::text, 16, '0'),
        ${cid(`1 + i % ${CUSTOMERS}`)}, md5('d' || (1 + i % ${CUSTOMERS}))::uuid,
        100 + (i % 50) * 37, 'JPY', md5('pp' || i)::uuid, 'allow', ${at('i', PAYMENTS)}
      from generate_series(1, ${PAYMENTS}) i`,
    ],
    ...attackStatements(),
  ];
}

/** The wave: victim v signs in from a foreign network on a new device x‖v, tops up, pays. */
function attackStatements(): Array<[string, string]> {
  const when = (n: string) =>
    `timestamptz '${ATTACK_FROM}' + interval '2 days' * ((${n} - 1)::float8 / ${VICTIMS})`;
  const victim = `(v * 97 % ${CUSTOMERS}) + 1`;
  return [
    [
      'attack_sign_ins',
      `insert into identity_sessions (id, customer_id, token_hash, device_id,
      created_at, last_seen_at, expires_at, source_ip)
      select md5('xs' || v)::uuid, md5('c' || (${victim}))::uuid, sha256(('xs' || v)::bytea),
        md5('x' || v)::uuid, ${when('v')}, ${when('v')}, ${when('v')} + interval '1 day',
        case when v % 2 = 0 then '203.0.113.' else '198.51.100.' end || (1 + v % 250)
      from generate_series(1, ${VICTIMS}) v`,
    ],
    [
      'attack_topups',
      `insert into payments_topups (id, customer_id, device_id, card_token,
      amount_minor, currency, status, transfer_id, risk_decision, created_at, updated_at)
      select 'tu_x' || md5(v || ':' || k), md5('c' || (${victim}))::uuid, md5('x' || v)::uuid,
        'card_' || md5('t' || (${victim})), 30000 + 10000 * k, 'JPY', 'succeeded',
        md5('xt' || v || ':' || k)::uuid, 'allow', ${when('v')} + interval '20 seconds' * k,
        ${when('v')} + interval '20 seconds' * k
      from generate_series(1, ${VICTIMS}) v, generate_series(1, 1 + v % 3) k`,
    ],
    [
      'attack_payments',
      `insert into payments_payments (id, method, merchant_id, store_id,
      terminal_id, customer_id, device_id, amount_minor, currency, transfer_id, risk_decision,
      created_at)
      select 'pay_x' || md5(v || ':' || k), 'cpm', 'mer_' || lpad((v % 3)::text, 16, '0'),
        'store_mule' || lpad((v % 2)::text, 12, '0'), 'term_mule' || lpad((v % 2)::text, 12, '0'),
        md5('c' || (${victim}))::uuid, md5('x' || v)::uuid, 20000 + 5000 * k, 'JPY',
        md5('xp' || v || ':' || k)::uuid, 'allow', ${when('v')} + interval '2 minutes' * k
      from generate_series(1, ${VICTIMS}) v, generate_series(1, 1 + v % 4) k`,
    ],
  ];
}

async function main(): Promise<void> {
  const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
  const bench = await startBenchPlatform(log, 'scope');
  try {
    const { platform } = bench;
    const owner = connect(platform.db.owner!.url, { connectionsMax: 1, statementTimeoutMs: 0 });
    const seeded: Record<string, number> = {};
    const seedStarted = performance.now();
    try {
      for (const [name, statement] of seedStatements()) {
        const t = performance.now();
        const r = await owner.unsafe(statement);
        seeded[name] = r.count;
        log.warn({ name, rows: r.count, ms: Math.round(performance.now() - t) }, 'seeded');
      }
      await owner.unsafe('analyze');
    } finally {
      await owner.end({ timeout: 5 });
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const figures = await scopeOnce(platform.modules.incidents, platform.db.sql);
    const ok = figures.scope_seconds <= TARGET_SECONDS && figures.victims_found === VICTIMS;
    printReport({
      bench: 'scope',
      figures: { ...figures, seeded, seed_seconds: round(seedSeconds) },
      reference: null,
      targets: { scope_seconds: `<= ${TARGET_SECONDS}`, victims_found: `= ${VICTIMS}` },
      ok,
    });
    if (!ok) process.exitCode = 1;
  } finally {
    await bench.close();
  }
}

async function scopeOnce(incidents: Incidents, sql: Sql) {
  const incidentId = await sql.begin((tx) =>
    incidents.open(tx, { kind: 'bench.takeover', severity: 'critical', summary: 'Bench wave' }),
  );
  const indicators = {
    from: ATTACK_FROM,
    to: '2026-03-22T00:00:00Z',
    ip_ranges: ['203.0.113.0/24', '198.51.100.0/24'],
    store_ids: ['store_mule000000000000', 'store_mule000000000001'],
    card_bins: ['353011'],
  };
  const started = performance.now();
  const run = await incidents.runScope({
    incidentId,
    indicators,
    actor: { type: 'cli', id: 'bench' },
  });
  const seconds = (performance.now() - started) / 1000;
  const [victims] = await sql<{ n: number }[]>`
    select count(distinct customer_id)::int as n from incidents_scope_items
    where scope_id = ${run.id} and kind = 'sign_in'`;
  return { scope_seconds: round(seconds), victims_found: victims!.n, totals: run.totals };
}

await main();
