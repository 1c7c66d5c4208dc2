import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatcher } from './batcher.ts';

test('concurrent submissions run as batches of at most sizeMax, one at a time', async () => {
  const sizes: number[] = [];
  let running = 0;
  // Each batch's own time on the batcher's clock: a 5 ms timer may fire a little sooner
  // by performance.now(), so the busy total is checked against what the batches measured.
  let handlerMs = 0;
  const b = new MicroBatcher<number, number>(
    async (items) => {
      const started = performance.now();
      running += 1;
      assert.equal(running, 1, 'one batch in flight');
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      handlerMs += performance.now() - started;
      return items.map((i) => i * 2);
    },
    { windowMs: 1, sizeMax: 10, inFlightMax: 1 },
  );
  const out = await Promise.all(Array.from({ length: 35 }, (_, i) => b.submit(i)));
  assert.deepEqual(
    out,
    Array.from({ length: 35 }, (_, i) => i * 2),
  );
  assert.ok(sizes.every((s) => s <= 10));
  assert.equal(
    sizes.reduce((a, s) => a + s, 0),
    35,
  );
  assert.ok(sizes.length <= 5, `few batches: ${sizes.join(',')}`);
  const stats = b.stats;
  assert.deepEqual([stats.batches, stats.items], [sizes.length, 35]);
  assert.ok(
    stats.busyMs >= handlerMs && handlerMs >= 4 * sizes.length,
    `busy ${stats.busyMs} ms for ${sizes.length} batches that took ${handlerMs} ms`,
  );
});

test('a failed batch rejects each of its requests, and the next batch still runs', async () => {
  let calls = 0;
  const b = new MicroBatcher<number, number>(
    async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('database restarting');
      return items;
    },
    { windowMs: 1, sizeMax: 100, inFlightMax: 1 },
  );
  const first = await Promise.allSettled([b.submit(1), b.submit(2)]);
  assert.ok(first.every((r) => r.status === 'rejected'));
  assert.equal(await b.submit(3), 3);
});
