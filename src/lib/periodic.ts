// A task run on a timer, one run at a time.
//
// Every background job of a Kinko process (checkpoints, file-integrity checks, page-monitor
// passes, the SIEM export, expiry and reconcile jobs, the switches' reconcile) runs this
// way. A tick that comes while the last run is still going is skipped, not queued and not
// started beside it: a job slower than its interval (a database outage makes every run wait
// for its connect timeout) neither piles up runs that each hold a connection nor builds a
// backlog that runs on after the outage. `stop` clears the timer and waits for the run in
// progress, so a process that stops its jobs and then closes its pool closes it idle.

import { assert } from './assert.ts';

interface PeriodicOptions {
  /** Milliseconds between ticks. */
  intervalMs: number;
  /** One run; what it throws goes to onError (which must not throw), never to the timer. */
  run: () => Promise<unknown>;
  onError: (err: unknown) => void;
  /** Run once at start as well as at every tick (default false: the first run at a tick). */
  immediately?: boolean;
}

/** Starts the task; the returned stop clears the timer and resolves once no run is going. */
export function startPeriodic(o: PeriodicOptions): () => Promise<void> {
  assert(o.intervalMs > 0 && Number.isFinite(o.intervalMs), 'periodic interval is positive');
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    const current = (async () => {
      try {
        await o.run();
      } catch (err) {
        o.onError(err);
      }
    })();
    running = current;
    void current.then(() => {
      if (running === current) running = null;
    });
  };
  if (o.immediately) tick();
  const timer = setInterval(tick, o.intervalMs);
  // The timer alone must not keep a process alive that is otherwise shutting down.
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
