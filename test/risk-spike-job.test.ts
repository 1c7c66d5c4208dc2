import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testPlatform } from './helpers/platform.ts';

// The risk-spike job: a burst of refused money movements in the last hour opens the
// risk-spike incident; the next run, with the burst still in the hour, joins it.

test('a burst of blocked decisions opens one risk-spike incident; the next run joins it', async () => {
  const p = await testPlatform();
  try {
    assert.equal(await p.jobs.checkRiskSpike(), null);
    // Frozen accounts are refused in code before the rules: 30 blocks, each recorded on its
    // own as a refused top-up is (the refusing transaction rolls back).
    for (let i = 0; i < 30; i++) {
      const customerId = `0190a0a0-0000-7000-8000-${String(i).padStart(12, '0')}`;
      const a = await p.modules.risk.assess({
        kind: 'topup',
        customerId,
        amount: 1000n,
        currency: 'JPY',
        frozen: true,
      });
      assert.equal(a.decision, 'block');
      await p.modules.risk.recordRefusal(a);
    }
    p.clock.advanceMs(60_000);
    const first = await p.jobs.checkRiskSpike();
    assert.equal(first?.joined, false);
    p.clock.advanceMs(600_000);
    const second = await p.jobs.checkRiskSpike();
    assert.deepEqual(second, { incidentId: first?.incidentId, joined: true });
    const open = await p.modules.incidents.list({ status: null, before: null, limit: 10 });
    assert.deepEqual(
      open.map((r) => [r.kind, r.signals]),
      [['risk.fraud_spike', 2]],
    );
  } finally {
    await p.close();
  }
});
