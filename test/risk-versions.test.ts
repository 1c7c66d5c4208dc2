import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KinkoError } from '../src/lib/errors.ts';
import { DEFAULT_RULE_SET } from '../src/risk/index.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// Rule-set versions: a draft is validated before it is stored, runs in shadow beside the live
// version (recorded, never enforced), is compared over recent decisions, and goes live only
// when a second operator approves the promotion; every step is audited.

const ANALYST = '0190a0a0-0000-7000-8000-00000000000a';
const SECOND = '0190a0a0-0000-7000-8000-00000000000b';
const customerId = '0190a0a0-0000-7000-8000-000000000001';

// Two minutes apart, so the default rule on top-ups in a burst stays out of it.
const topup = (p: TestPlatform, amount: bigint) => {
  p.clock.advanceMs(120_000);
  return p.db.sql.begin(async (tx) => {
    const a = await p.modules.risk.assess(
      { kind: 'topup', customerId, amount, currency: 'JPY' },
      tx,
    );
    await p.modules.risk.record(tx, [{ a }]);
    return a;
  });
};

const code = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (e) {
    if (e instanceof KinkoError) return e.code;
    throw e;
  }
  return 'no error';
};

test('draft, shadow, diff, and a promotion only a second operator can approve', async () => {
  const p = await testPlatform();
  try {
    const v = p.modules.risk.versions;
    const who = { operatorId: ANALYST };
    const invalid = { rules: [{ id: 'x', when: { var: 'nope' }, decision: 'block', reason: 'x' }] };
    assert.equal(
      await code(() => v.draft(who, { rules: invalid, note: '' })),
      'risk_rule_set_invalid',
    );
    const rules = {
      rules: [
        {
          id: 'hold_big_topups',
          kinds: ['topup'],
          when: { '>=': [{ var: 'amount' }, 20_000] },
          decision: 'review',
          reason: 'unusual_amount',
        },
      ],
    };
    // Deciding once seeds the default rule set as live version 1.
    assert.equal((await topup(p, 1000n)).decision, 'allow');
    const drafted = await v.draft(who, { rules, note: 'hold top-ups of ¥20,000 and more' });
    assert.equal(drafted.version, 2);
    assert.equal(drafted.status, 'draft');
    await v.shadow(who, 2);

    // In shadow: recorded beside the live decision, never enforced.
    const shadowed = await topup(p, 25_000n);
    assert.equal(shadowed.decision, 'allow');
    const [row] = await p.db.sql<
      { version: number; shadow_version: number; shadow_decision: string }[]
    >`
      select version, shadow_version, shadow_decision from risk_decisions`;
    assert.deepEqual({ ...row }, { version: 1, shadow_version: 2, shadow_decision: 'review' });
    const diff = await v.diff(2, new Date(p.clock.nowMs() - 3_600_000));
    assert.equal(diff.differing, 1);
    assert.deepEqual(diff.changes, [{ live: 'allow', shadow: 'review', count: 1 }]);
    assert.deepEqual(diff.examples[0]!.shadow.rules_fired, ['hold_big_topups']);

    // Promotion: asked by one operator, approved by another.
    assert.equal(await code(() => v.approvePromotion(who, 2)), 'risk_promotion_not_requested');
    await v.requestPromotion(who, 2);
    assert.equal(
      await code(() => v.approvePromotion(who, 2)),
      'risk_promotion_needs_second_operator',
    );
    assert.equal((await topup(p, 25_000n)).decision, 'allow', 'not live before approval');
    await v.approvePromotion({ operatorId: SECOND }, 2);
    const live = await topup(p, 25_000n);
    assert.equal(live.decision, 'review');
    assert.deepEqual(live.reasons, ['unusual_amount']);
    const statuses = (await v.list()).map((r) => [r.version, r.status, r.approved_by]);
    assert.deepEqual(statuses, [
      [2, 'live', SECOND],
      [1, 'retired', null],
    ]);
    const actions = await p.db.sql<{ action: string; actor_id: string }[]>`
      select action, actor_id from audit_entries where action like 'risk.%' order by id`;
    assert.deepEqual(
      actions.map((a) => [a.action, a.actor_id]),
      [
        ['risk.rule_set.drafted', ANALYST],
        ['risk.rule_set.shadow_started', ANALYST],
        ['risk.rule_set.promotion_requested', ANALYST],
        ['risk.rule_set.promoted', SECOND],
      ],
    );
  } finally {
    await p.close();
  }
});

test('the shipped rule set: live on a fresh database, a draft to promote on an older one', async () => {
  const first = await testPlatform();
  const platforms = [first];
  try {
    const v = first.modules.risk.versions;
    const [fresh] = await v.list();
    assert.deepEqual([fresh!.version, fresh!.status], [1, 'live']);
    assert.deepEqual(fresh!.rules, JSON.parse(JSON.stringify(DEFAULT_RULE_SET)));

    // A database whose live set came with an older release (written as its owner would).
    const older = { rules: [DEFAULT_RULE_SET.rules.find((r) => r.id === 'topup_burst')!] };
    await first.db.owner`update risk_rule_sets set rules = ${first.db.owner.json(older as never)}`;
    // Two processes of the new release start: the shipped set is drafted once, not live.
    platforms.push(await testPlatform({ beside: first }));
    platforms.push(await testPlatform({ beside: first }));
    const statuses = (await v.list()).map((r) => [r.version, r.status, r.created_by]);
    assert.deepEqual(statuses, [
      [2, 'draft', 'system'],
      [1, 'live', 'system'],
    ]);
    const [drafted] = await v.list();
    assert.deepEqual(drafted!.rules, JSON.parse(JSON.stringify(DEFAULT_RULE_SET)));
    const actions = await first.db.sql<
      { action: string; actor_type: string; subject_id: string }[]
    >`
      select action, actor_type, subject_id from audit_entries where action like 'risk.%'`;
    assert.deepEqual(
      actions.map((a) => [a.action, a.actor_type, a.subject_id]),
      [['risk.rule_set.drafted', 'system', '2']],
    );
    // It goes live the usual way: asked by one operator, approved by another.
    await v.requestPromotion({ operatorId: ANALYST }, 2);
    await v.approvePromotion({ operatorId: SECOND }, 2);
    assert.equal((await v.list())[0]!.status, 'live');
  } finally {
    for (const p of platforms.reverse()) await p.close();
  }
});
