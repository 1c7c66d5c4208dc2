import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadConfig } from '../src/config.ts';
import { runScenario, type Figures } from '../bench/fraud-run.ts';
import { runOrdered } from '../bench/fraud-schedule.ts';
import { parseScenario, ScenarioInvalid } from '../bench/fraud-scenario.ts';
import { createTestDb } from './helpers/db.ts';

// bench:fraud at a tiny size (200 good customers, 40 taken-over accounts): the same seed on
// a fresh database gives the same figures, one event at a time or several in flight, and
// with the engine off the attacker loses nothing it planned, so the engine-off loss is the
// sum of the attacker's spend.

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

async function run(seed: number, engineOff = false, lanes = 1): Promise<Figures> {
  const db = await createTestDb();
  try {
    const opts = { sql: db.sql, limits, customers: 200, engineOff, lanes };
    return await runScenario(tiny, seed, opts);
  } finally {
    await db.close();
  }
}

test('same seed, same figures; another seed, other figures', async () => {
  const a = await run(3);
  const b = await run(3);
  assert.deepEqual(untimed(a), untimed(b));
  const concurrent = await run(3, false, 6);
  assert.deepEqual(untimed(concurrent), untimed(a));
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

test('an event starts after every earlier event sharing a key; others overlap', async () => {
  const events = Array.from({ length: 60 }, (_, i) => ({ i, keys: [`k${i % 7}`, `j${i % 5}`] }));
  const done = new Set<number>();
  let inFlight = 0;
  let most = 0;
  await runOrdered(events, [1, 2, 3, 4], async (_lane, e) => {
    const earlier = events.filter((x) => x.i < e.i && x.keys.some((k) => e.keys.includes(k)));
    for (const x of earlier) assert.ok(done.has(x.i), `${x.i} finished before ${e.i} starts`);
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, (e.i * 7) % 5));
    inFlight--;
    done.add(e.i);
  });
  assert.equal(done.size, 60);
  assert.ok(most > 1 && most <= 4, `at most four in flight, and more than one: ${most}`);
});
