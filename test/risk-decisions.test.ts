import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// Every decision on a money path is a row of risk_decisions (version, rules fired), counted by
// outcome for the incident detectors; velocity counters live in PostgreSQL, so two processes
// count the same attempts.

test('plain allows are tallied by version, and counted by outcome with the rest', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 10_000);
    const code = await issueCode(p, u);
    const paid = await registerPay(p, code, 1200);
    assert.equal(paid.statusCode, 200, paid.body);
    // Plain allows (nothing fired) are tallied per minute, kind and version, not stored: the
    // card link, the code and the top-up (a new customer's first phone). The payment, from a
    // phone bound minutes ago, fired a rule (step-up, answered when the code was shown) and
    // is stored with it.
    const tallies = await p.db.sql<{ kind: string; version: number; count: bigint }[]>`
      select kind, version, count from risk_decision_tallies order by kind`;
    assert.deepEqual(
      tallies.map((r) => [r.kind, r.version, Number(r.count)]),
      [
        ['card_link', 1, 1],
        ['code_issue', 1, 1],
        ['topup', 1, 1],
      ],
    );
    const stored = await p.db.sql<{ kind: string; decision: string }[]>`
      select kind, decision from risk_decisions`;
    assert.deepEqual(
      stored.map((r) => [r.kind, r.decision]),
      [['code_payment', 'step_up']],
    );
    const now = p.clock.now();
    const counts = await p.modules.risk.countDecisions(
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 1),
    );
    assert.deepEqual(counts.map((c) => [c.decision, c.count]).sort(), [
      ['allow', 3],
      ['step_up', 1],
    ]);
  } finally {
    await p.close();
  }
});

test('velocity counters are shared by two processes on one database', async () => {
  const first = await testPlatform();
  const second = await testPlatform({ beside: first });
  try {
    const customerId = '0190a0a0-0000-7000-8000-000000000001';
    const topup = (p: TestPlatform) =>
      p.db.sql.begin(async (tx) => {
        const a = await p.modules.risk.assess(
          { kind: 'topup', customerId, amount: 1000n, currency: 'JPY', sourceIp: '203.0.113.5' },
          tx,
        );
        await p.modules.risk.record(tx, [{ a }]);
        return a;
      });
    // Each process tops up once: the third top-up in the minute is held, whichever process
    // decides it (with counters in each process's memory, each would have seen only one).
    assert.equal((await topup(first)).decision, 'allow');
    assert.equal((await topup(second)).decision, 'allow');
    const third = await topup(first);
    assert.equal(third.decision, 'review');
    assert.deepEqual(third.reasons, ['rapid_topups']);
    const [row] = await first.db.sql<{ signals: Record<string, unknown>; rules_fired: string[] }[]>`
      select signals, rules_fired from risk_decisions where decision = 'review'`;
    assert.deepEqual(row!.rules_fired, ['topup_burst']);
    assert.equal(row!.signals['customer_count_1m'], 2);
    assert.equal(row!.signals['source_count_1m'], 2);
    // Sixty seconds later the minute window has slid past them; the hour still counts them.
    first.clock.advanceMs(120_000);
    const later = await topup(second);
    assert.equal(later.decision, 'allow');
  } finally {
    await second.close();
    await first.close();
  }
});
