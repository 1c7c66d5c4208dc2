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
    { windowMs: 1, sizeMax: 10, inFlightMax: 1, committingMax: 1 },
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
    { windowMs: 1, sizeMax: 100, inFlightMax: 1, committingMax: 1 },
  );
  const first = await Promise.allSettled([b.submit(1), b.submit(2)]);
  assert.ok(first.every((r) => r.status === 'rejected'));
  assert.equal(await b.submit(3), 3);
});

test('a committing batch gives its slot back: the next batch runs beside its commit', async () => {
  const events: string[] = [];
  let commit!: () => void;
  const committed = new Promise<void>((r) => (commit = r));
  const b = new MicroBatcher<number, number>(
    async (items, committing) => {
      const name = items.join('+');
      events.push(`start ${name}`);
      if (items[0] === 1) {
        committing();
        // Called twice, it still frees one slot only.
        committing();
        await committed;
      }
      events.push(`end ${name}`);
      return items;
    },
    { windowMs: 1, sizeMax: 1, inFlightMax: 1, committingMax: 1 },
  );
  const first = b.submit(1);
  const second = b.submit(2);
  assert.equal(await second, 2);
  assert.deepEqual(events, ['start 1', 'start 2', 'end 2']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.load, { inFlight: 1, queued: 0 });
  commit();
  assert.equal(await first, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.load, { inFlight: 0, queued: 0 });
});

test('at most committingMax batches commit beside the running ones', async () => {
  let running = 0;
  let runningMax = 0;
  const commits: (() => void)[] = [];
  const b = new MicroBatcher<number, number>(
    async (items, committing) => {
      running += 1;
      runningMax = Math.max(runningMax, running);
      await new Promise((r) => setTimeout(r, 2));
      committing();
      await new Promise<void>((r) => commits.push(r));
      running -= 1;
      return items;
    },
    { windowMs: 1, sizeMax: 1, inFlightMax: 1, committingMax: 1 },
  );
  const out = Array.from({ length: 4 }, (_, i) => b.submit(i));
  // One batch committing and one that finished its work but keeps its slot: no third.
  const waitFor = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  };
  await waitFor(() => commits.length === 2);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(commits.length, 2);
  assert.equal(runningMax, 2);
  while (commits.length > 0 || b.load.inFlight > 0) {
    commits.shift()?.();
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual(await Promise.all(out), [0, 1, 2, 3]);
});
