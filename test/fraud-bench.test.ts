import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadConfig } from '../src/config.ts';
import { runScenario, type Figures } from '../bench/fraud-run.ts';
import { parseScenario, ScenarioInvalid } from '../bench/fraud-scenario.ts';
import { createTestDb } from './helpers/db.ts';

// bench:fraud at a tiny size (200 good customers, 40 taken-over accounts): the same seed on
// a fresh database gives the same figures, and with the engine off the attacker loses
// nothing it planned, so the engine-off loss is the sum of the attacker's spend.

const text = fs.readFileSync('bench/scenarios/7pay-2019.json', 'utf8');
const tiny = parseScenario(text);
tiny.attacker['accounts']!.value = 40;
const limits = loadConfig({}).limits.risk;

const TIMING = ['decisions_per_s', 'decision_p50_ms', 'decision_p99_ms'] as const;
const untimed = (f: Figures) => {
  const copy: Partial<Figures> = { ...f };
  for (const k of TIMING) delete copy[k];
  return copy;
};

async function run(seed: number, engineOff = false): Promise<Figures> {
  const db = await createTestDb();
  try {
    return await runScenario(tiny, seed, { sql: db.sql, limits, customers: 200, engineOff });
  } finally {
    await db.close();
  }
}

test('same seed, same figures; another seed, other figures', async () => {
  const a = await run(3);
  const b = await run(3);
  assert.deepEqual(untimed(a), untimed(b));
  assert.ok(a.good_payments > 200 && a.decisions > 400, JSON.stringify(a));
  const c = await run(4);
  assert.notEqual(c.fraud_yen_planned, a.fraud_yen_planned);
});

test('engine off: the loss is the sum of what the attacker meant to spend', async () => {
  const off = await run(3, true);
  assert.ok(off.fraud_yen_planned > 0);
  assert.equal(off.fraud_yen_spent, off.fraud_yen_planned);
  assert.equal(off.fraud_yen_stopped_pct, 0);
});

test('a scenario missing a parameter is refused before it runs', () => {
  const broken = JSON.parse(text) as { attacker: Record<string, unknown> };
  delete broken.attacker['topups'];
  assert.throws(() => parseScenario(JSON.stringify(broken)), ScenarioInvalid);
});
