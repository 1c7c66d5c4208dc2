import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, generateAuditSigningKey } from '../audit/index.ts';
import { manualClock } from '../lib/clock.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import { RISK_SPIKE_DECISIONS_MIN, riskSpike } from './detectors.ts';
import { createIncidents } from './service.ts';

// The risk-spike detector: fraud decisions per hour far above the day's median open one
// incident, and later spiking hours join it.

test('a spike is far above the median hour and above a floor', () => {
  const day = Array.from({ length: 24 }, (_, i) => (i % 3) + 2); // 2..4 an hour
  assert.equal(riskSpike({ lastHour: 12, previousHours: day }).spike, false);
  assert.equal(
    riskSpike({ lastHour: RISK_SPIKE_DECISIONS_MIN - 1, previousHours: [0] }).spike,
    false,
  );
  assert.deepEqual(riskSpike({ lastHour: 40, previousHours: day }), { spike: true, baseline: 3 });
});

test('a spiking hour opens the risk-spike incident; the next one joins it', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql, signingKey: generateAuditSigningKey() });
  const incidents = createIncidents({ sql: db.sql, audit, clock });
  const day = Array.from({ length: 24 }, () => 3);
  const check = (lastHour: number) =>
    db.sql.begin((tx) => incidents.checkRiskSpike(tx, { lastHour, previousHours: day }));
  assert.equal(await check(10), null);
  const first = await check(60);
  assert.equal(first?.joined, false);
  const second = await check(300);
  assert.deepEqual(second, { incidentId: first?.incidentId, joined: true });
  const view = await incidents.view(db.sql, first!.incidentId);
  assert.equal(view?.record.kind, 'risk.fraud_spike');
  assert.equal(view?.record.signals, 2);
});
