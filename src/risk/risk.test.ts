import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { DEFAULT_RULE_SET } from './default-rules.ts';
import { compileRuleSet, RuleSetInvalid } from './engine.ts';
import { baseSignals, sourcePrefix } from './facts.ts';
import { effectiveLimits, limitReasons, periodStarts, tierOf } from './rules.ts';
import { SIGNALS } from './signals.ts';
import { VelocityView } from './velocity.ts';

const RISK_LIMITS = loadConfig({}).limits.risk;
const NOW = Date.UTC(2026, 3, 1, 9, 0, 30);

// The engine without a database: rule evaluation, rule-set validation, signals, windows.
// (Decisions, counters and versions in PostgreSQL: test/risk-*.test.ts.)

const signals = (over: Record<string, number | string | boolean>) => ({
  ...baseSignals(
    { kind: 'topup', customerId: 'c1', amount: 5000n, currency: 'JPY' },
    undefined,
    RISK_LIMITS,
    NOW,
  ),
  ...over,
});

test('ordered rules, most severe wins: all matches fired, the first most severe decides', () => {
  const set = compileRuleSet(7, {
    rules: [
      {
        id: 'a',
        when: { '>': [{ var: 'amount' }, 1000] },
        decision: 'step_up',
        reason: 'unusual_amount',
      },
      {
        id: 'b',
        kinds: ['topup'],
        when: { var: 'high_resale' },
        decision: 'review',
        reason: 'high_resale_goods',
      },
      {
        id: 'c',
        when: { '>': [{ var: 'amount' }, 2000] },
        decision: 'review',
        reason: 'rapid_topups',
      },
      { id: 'd', kinds: ['code_payment'], when: true, decision: 'block', reason: 'rapid_payments' },
    ],
  });
  assert.deepEqual(set.evaluate(signals({ amount: 500 })), {
    decision: 'allow',
    reason: null,
    fired: [],
  });
  assert.deepEqual(set.evaluate(signals({ amount: 1500 })), {
    decision: 'step_up',
    reason: 'unusual_amount',
    fired: ['a'],
  });
  assert.deepEqual(set.evaluate(signals({ amount: 3000, high_resale: true })), {
    decision: 'review',
    reason: 'high_resale_goods',
    fired: ['a', 'b', 'c'],
  });
  assert.equal(set.evaluate(signals({ kind: 'code_payment' })).decision, 'block');
});

test('a rule set is refused by name: unknown signal, operator, reason, decision, id', () => {
  const bad = (rule: object, problem: RegExp) =>
    assert.throws(
      () =>
        compileRuleSet(2, {
          rules: [{ id: 'r', when: true, decision: 'block', reason: 'shared_card', ...rule }],
        }),
      (e: unknown) => e instanceof RuleSetInvalid && problem.test(e.message),
    );
  bad({ when: { '>': [{ var: 'balance_of_someone' }, 1] } }, /unknown signal/);
  bad({ when: { map: [[1], { var: 'amount' }] } }, /operator "map"/);
  bad({ reason: 'because' }, /unknown reason code/);
  bad({ decision: 'allow' }, /decision must be/);
  bad({ id: 'Bad-Id' }, /id must match/);
  bad({ kinds: ['payout'] }, /kinds must be/);
  assert.throws(() => compileRuleSet(2, { rules: 'x' }), RuleSetInvalid);
  assert.throws(
    () =>
      compileRuleSet(2, {
        rules: [
          { id: 'r', when: true, decision: 'block', reason: 'shared_card' },
          { id: 'r', when: true, decision: 'block', reason: 'shared_card' },
        ],
      }),
    /unique/,
  );
});

test('the default rule set compiles, reads only named signals, allows a plain top-up', () => {
  const set = compileRuleSet(1, DEFAULT_RULE_SET);
  assert.equal(set.evaluate(signals({})).decision, 'allow');
  // 7pay: a third top-up within a minute is held.
  assert.deepEqual(set.evaluate(signals({ customer_count_1m: 2 })).fired, ['topup_burst']);
  // A phone bound an hour ago to an account a month old: its top-ups are held, its payments
  // need a step-up, and a second account on it pays nothing (mules' phones). A new
  // customer's first phone tops up without a hold.
  const fresh = { device_age_minutes: 60, device_known: false, account_age_days: 30 };
  assert.equal(set.evaluate(signals(fresh)).decision, 'review');
  assert.equal(set.evaluate(signals({ ...fresh, account_age_days: 0 })).decision, 'allow');
  const pay = { ...fresh, kind: 'code_payment' };
  assert.deepEqual(set.evaluate(signals(pay)).fired, ['pay_new_device']);
  assert.equal(set.evaluate(signals(pay)).decision, 'step_up');
  assert.equal(set.evaluate(signals({ ...pay, device_accounts: 2 })).decision, 'block');
  assert.equal(set.evaluate(signals({ ...pay, device_age_minutes: 1440 })).decision, 'allow');
  for (const name of Object.keys(signals({}))) assert.ok(name in SIGNALS, name);
  assert.equal(Object.keys(signals({})).length, Object.keys(SIGNALS).length);
});

test('from abroad after a security change or a new phone, the default set asks more', () => {
  const set = compileRuleSet(1, DEFAULT_RULE_SET);
  const abroad = { source_home: false, source_prefix: '1.0.36.0/24' };
  const changed = { security_change_minutes: 30 };
  // A ¥5,000 top-up: at home after a change it passes (under ¥10,000); abroad it is held.
  assert.equal(set.evaluate(signals(changed)).decision, 'allow');
  assert.deepEqual(set.evaluate(signals({ ...changed, ...abroad })).fired, ['abroad_after_change']);
  assert.equal(set.evaluate(signals({ ...changed, ...abroad })).decision, 'review');
  // Abroad with nothing changed: nothing fires (a customer on a trip).
  assert.equal(set.evaluate(signals(abroad)).decision, 'allow');
  // Confirming a phone from abroad on a month-old account: a strong factor, not a text code.
  const phone = { kind: 'device_confirm', device_age_minutes: 0, account_age_days: 30 };
  assert.equal(set.evaluate(signals(phone)).decision, 'allow');
  assert.deepEqual(set.evaluate(signals({ ...phone, ...abroad })).fired, [
    'abroad_after_change_confirm',
  ]);
  assert.equal(set.evaluate(signals({ ...phone, ...abroad })).decision, 'step_up');
  const link = { kind: 'card_link', ...changed, ...abroad };
  assert.equal(set.evaluate(signals(link)).decision, 'step_up');
});

test('a condition that throws is a rule that did not match', () => {
  const set = compileRuleSet(3, {
    rules: [
      {
        id: 'x',
        when: { '>': [{ '/': [1, { var: 'amount' }] }, 1] },
        decision: 'block',
        reason: 'shared_card',
      },
    ],
  });
  assert.equal(set.evaluate(signals({ amount: 0 })).decision, 'allow');
});

test('velocity windows: minute and hour buckets, the minute sliding, pending counted', () => {
  const minute = NOW - (NOW % 60_000);
  const hour = NOW - (NOW % 3_600_000);
  const b = (res: number, start: number, count: number, yen: bigint, key = 'pay:terminal:t') => ({
    key,
    resolution_seconds: res,
    bucket_start: new Date(start),
    count: BigInt(count),
    amount_minor: yen,
  });
  const view = new VelocityView(
    [
      b(60, minute, 2, 200n),
      b(60, minute - 60_000, 4, 400n), // half of it is still inside the last minute (30 s in)
      b(60, minute - 30 * 60_000, 10, 1000n),
      b(3600, hour, 16, 1600n),
      b(3600, hour - 5 * 3_600_000, 5, 500n),
      // A customer keeps minute buckets only: its day is summed from them.
      b(60, minute, 1, 10n, 'pay:customer:c'),
      b(60, minute - 300 * 60_000, 3, 30n, 'pay:customer:c'),
    ],
    NOW,
  );
  view.addPending('pay:terminal:t', 50n);
  assert.deepEqual(view.totals('pay:customer:c')['1h'], { count: 1, yen: 10n });
  assert.deepEqual(view.totals('pay:customer:c')['1d'], { count: 4, yen: 40n });
  const t = view.totals('pay:terminal:t');
  assert.deepEqual(t['1m'], { count: 2 + 2 + 1, yen: 200n + 200n + 50n });
  assert.deepEqual(t['1h'], { count: 16 + 1, yen: 1600n + 50n });
  assert.deepEqual(t['1d'], { count: 21 + 1, yen: 2100n + 50n });
});

test('source networks: IPv4 /24 and IPv6 /64 of public addresses; internal ones are none', () => {
  assert.equal(sourcePrefix('203.0.113.77'), '203.0.113.0/24');
  assert.equal(sourcePrefix('::ffff:198.51.100.9'), '198.51.100.0/24');
  assert.equal(sourcePrefix('2001:db8:1:2:3::4'), '2001:0db8:0001:0002::/64');
  for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.20.0.1', '::1', 'fd00::1']) {
    assert.equal(sourcePrefix(ip), undefined, ip);
  }
});

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
