// Runs a time-ordered list of events with several in flight at once, yet with the outcome of
// running them one by one in order. Each event names the keys of the state it reads or
// writes (its customer, device, store, terminal, source network); an event starts only once
// every earlier event sharing a key with it has finished. Events with no key in common touch
// disjoint velocity rows and simulation state, so their order does not change any decision,
// and the figures of a seed are the same at any concurrency.

export interface Scheduled {
  keys: readonly string[];
}

/**
 * Runs `events` (in their order) through `run`, at most `lanes.length` at a time; a lane is
 * a value (say a clock and the risk service reading it) lent to one event at a time.
 */
export function runOrdered<E extends Scheduled, L>(
  events: readonly E[],
  lanes: readonly L[],
  run: (lane: L, e: E) => Promise<void>,
): Promise<void> {
  const { waiting, next } = dependencies(events);
  const ready = new Int32Array(events.length);
  let tail = 0;
  for (let i = 0; i < events.length; i++) if (waiting[i] === 0) ready[tail++] = i;
  let head = 0;
  let finished = 0;
  let failed = false;
  const free = [...lanes];
  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      failed = true;
      reject(err);
    };
    const launch = () => {
      while (!failed && free.length > 0 && head < tail) {
        const i = ready[head++]!;
        const lane = free.pop()!;
        run(lane, events[i]!).then(() => {
          free.push(lane);
          finished++;
          for (const j of next[i] ?? []) if (--waiting[j]! === 0) ready[tail++] = j;
          if (finished === events.length) resolve();
          else launch();
        }, fail);
      }
      if (!failed && free.length === lanes.length && head === tail && finished < events.length) {
        fail(new Error(`${events.length - finished} events never became ready`));
      }
    };
    if (events.length === 0) resolve();
    else launch();
  });
}

/** Per event: how many earlier events it waits for, and which later ones wait for it. */
function dependencies(events: readonly Scheduled[]) {
  const waiting = new Int32Array(events.length);
  const next: (number[] | undefined)[] = new Array(events.length);
  const last = new Map<string, number>();
  events.forEach((e, i) => {
    const before = new Set<number>();
    for (const k of e.keys) {
      const b = last.get(k);
      if (b !== undefined) before.add(b);
      last.set(k, i);
    }
    for (const b of before) (next[b] ??= []).push(i);
    waiting[i] = before.size;
  });
  return { waiting, next };
}
