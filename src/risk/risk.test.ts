import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import type { Sql } from '../db/index.ts';
import { manualClock } from '../lib/clock.ts';
import { createRisk, refusalOf } from './risk.ts';
import { effectiveLimits, limitReasons, periodStarts, tierOf } from './rules.ts';

const RISK_LIMITS = loadConfig({}).limits.risk;

// The default policy without a database: tiers, limits, velocity (bench/risk.bench.ts
// measures what a decision costs).
// (Top-up usage, which needs the database, is covered by test/wallet-topup.test.ts.)

const noDatabase = null as unknown as Sql;

test('tiers: new accounts, and a cool-down after a recovery hold', () => {
  const now = Date.UTC(2026, 3, 1);
  const day = 86_400_000;
  const l = RISK_LIMITS;
  assert.equal(tierOf(l, now, { createdAt: new Date(now - 400 * day) }), 'standard');
  assert.equal(tierOf(l, now, { createdAt: new Date(now - 3 * day) }), 'new');
  const hold = new Date(now - 2 * day);
  assert.equal(
    tierOf(l, now, { createdAt: new Date(now - 400 * day), moneyHoldUntil: hold }),
    'cooldown',
  );
});

test('limits: the customer may only lower them; reasons name each limit passed', () => {
  const tier = RISK_LIMITS.topup.standard;
  const own = { perTopupMinor: 5000n, dailyMinor: null, monthlyMinor: 999_999_999n };
  const e = effectiveLimits(tier, own);
  assert.equal(e.perTopupMinor, 5000n);
  assert.equal(e.monthlyMinor, tier.monthlyMinor);
  assert.deepEqual(limitReasons(e, { dayMinor: 299_000n, monthMinor: 0n }, 5001n), [
    'limit_per_topup',
    'limit_daily',
  ]);
  assert.deepEqual(periodStarts(Date.UTC(2026, 2, 31, 16, 0), 540), {
    day: '2026-04-01',
    month: '2026-04-01',
  });
});

test('velocity: a burst of payments is reviewed, then blocked with a named refusal', async () => {
  const clock = manualClock(Date.UTC(2026, 3, 1, 9, 0, 30));
  const risk = createRisk({ sql: noDatabase, clock, limits: RISK_LIMITS });
  const pay = () =>
    risk.assess({
      kind: 'code_payment',
      customerId: 'c1',
      terminalId: 't1',
      amount: 100n,
      currency: 'JPY',
    });
  const decisions = [];
  for (let i = 0; i < 21; i++) decisions.push((await pay()).decision);
  assert.equal(decisions[4], 'allow');
  assert.equal(decisions[5], 'review');
  assert.equal(decisions[20], 'block');
  const last = await pay();
  assert.ok(last.reasons.includes('velocity:customer_payments_burst'));
  assert.equal(refusalOf(last, true)?.code, 'risk_velocity_exceeded');
  clock.advanceMs(60_000);
  assert.equal((await pay()).decision, 'allow', 'a new window starts clean');
});

// What a decision costs is a figure, measured by `npm run bench:risk`; here only what it
// decides: many customers paying a few times each, spread over devices and terminals, are
// all allowed, and none of it needs the database.
test('many customers paying a few times each are all allowed, without a database', async () => {
  const clock = manualClock(Date.UTC(2026, 3, 1));
  const risk = createRisk({ sql: noDatabase, clock, limits: RISK_LIMITS });
  const decisions = new Map<string, number>();
  for (let i = 0; i < 2_000; i++) {
    const d = await risk.assess({
      kind: 'code_payment',
      customerId: `c${i % 500}`,
      deviceId: `d${i % 500}`,
      terminalId: `t${i % 50}`,
      amount: 1000n,
      currency: 'JPY',
    });
    decisions.set(d.decision, (decisions.get(d.decision) ?? 0) + 1);
    clock.advanceMs(1);
  }
  assert.deepEqual([...decisions], [['allow', 2_000]]);
});
