import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPeriodic } from './periodic.ts';

/** A run the test finishes by hand. */
function gate() {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a tick while a run is going is skipped: runs never overlap and never queue up', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const runs: ReturnType<typeof gate>[] = [];
  let inFlight = 0;
  let most = 0;
  const stop = startPeriodic({
    intervalMs: 1000,
    run: async () => {
      const g = gate();
      runs.push(g);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await g.done;
      inFlight -= 1;
    },
    onError: (err) => assert.fail(String(err)),
  });
  assert.equal(runs.length, 0, 'the first run waits for the first tick');
  t.mock.timers.tick(1000);
  assert.equal(runs.length, 1);
  // A slow run (an outage's connect timeouts): five ticks pass while it waits.
  t.mock.timers.tick(5000);
  assert.equal(runs.length, 1, 'no second run beside the first');
  runs[0]!.open();
  await settle();
  t.mock.timers.tick(1000);
  assert.equal(runs.length, 2, 'the next tick after it ended runs again, once');
  runs[1]!.open();
  await settle();
  assert.equal(most, 1);
  await stop();
});

test('a failed run is reported and the next tick runs again', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const errors: unknown[] = [];
  let calls = 0;
  const stop = startPeriodic({
    intervalMs: 50,
    immediately: true,
    run: () => {
      calls += 1;
      if (calls === 1) throw new Error('thrown before any await');
      return Promise.reject(new Error('rejected'));
    },
    onError: (err) => errors.push(err),
  });
  await settle();
  assert.equal(calls, 1, 'immediately runs at start');
  t.mock.timers.tick(50);
  await settle();
  assert.equal(calls, 2);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['thrown before any await', 'rejected'],
  );
  await stop();
});

test('stop waits for the run in progress and no run starts after it', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const g = gate();
  let calls = 0;
  let finished = false;
  const stop = startPeriodic({
    intervalMs: 10,
    run: async () => {
      calls += 1;
      await g.done;
      finished = true;
    },
    onError: () => undefined,
  });
  t.mock.timers.tick(10);
  assert.equal(calls, 1);
  let stopped = false;
  const stopping = stop().then(() => {
    stopped = true;
  });
  await settle();
  assert.equal(stopped, false, 'stop is still waiting for the run');
  g.open();
  await stopping;
  assert.ok(finished, 'stop resolved only after the run ended');
  t.mock.timers.tick(100);
  assert.equal(calls, 1, 'no tick runs after stop');
});

test('an interval that is not a positive number is refused', () => {
  for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() =>
      startPeriodic({ intervalMs, run: async () => undefined, onError: () => undefined }),
    );
  }
});
