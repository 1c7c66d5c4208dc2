// Time is a parameter: production uses the system clock, tests move a manual one.

export interface Clock {
  nowMs(): number;
  now(): Date;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => new Date(),
};

export interface ManualClock extends Clock {
  set(ms: number): void;
  advanceMs(ms: number): void;
}

export function manualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let t = startMs;
  return {
    nowMs: () => t,
    now: () => new Date(t),
    set: (ms) => {
      t = ms;
    },
    advanceMs: (ms) => {
      t += ms;
    },
  };
}
