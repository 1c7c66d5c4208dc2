import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimJobWindow, connect } from '../src/db/index.ts';
import { createTestDb } from './helpers/db.ts';

// A detector over a shared window (CSP reports, fraud decisions per hour) runs once per
// window across the deployment: several processes ticking together must not each raise the
// same alert. Each "process" here is its own connection pool, racing for the same window.

test('one claim per job and window wins across processes; the next window is free', async () => {
  const db = await createTestDb();
  const pools = [0, 1, 2, 3].map(() => connect(db.url, { connectionsMax: 2 }));
  try {
    const at = new Date('2026-12-05T01:00:30Z');
    const claim = (i: number, when: Date, job = 'csp-report-check') =>
      claimJobWindow(pools[i % pools.length]!, {
        job,
        at: when,
        intervalSeconds: 60,
        claimedBy: `process-${i}`,
      });
    const first = await Promise.all([...Array(12).keys()].map((i) => claim(i, at)));
    assert.equal(first.filter(Boolean).length, 1, 'exactly one process runs the window');

    // A tick later in the same minute is the same window: nobody runs it again.
    assert.equal(await claim(5, new Date('2026-12-05T01:00:59Z')), false);
    // Another job's window is its own.
    assert.equal(await claim(2, at, 'risk-spike-check'), true);
    // The next minute is a new window.
    const next = await Promise.all(
      [0, 1, 2].map((i) => claim(i, new Date('2026-12-05T01:01:01Z'))),
    );
    assert.equal(next.filter(Boolean).length, 1);

    // Claims older than a day are pruned by later claims of the same job.
    assert.equal(await claim(0, new Date('2026-12-06T02:00:00Z')), true);
    const left = await db.sql<Array<{ n: number }>>`
      select count(*)::int as n from job_runs where job = 'csp-report-check'`;
    assert.equal(left[0]?.n, 1);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await db.close();
  }
});
