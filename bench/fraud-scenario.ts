import fs from 'node:fs';

// A fraud scenario, as data (bench/scenarios/*.json): every number is a parameter with a
// note saying whether it is a published fact or an assumption, so other scenarios run
// without code changes and a reader can see which figures were guessed. The simulation
// (fraud-sim.ts) reads the values only; notes are for people.

interface Parameter {
  value: number | number[] | string[];
  /** "fact" (with its source in the note) or "assumption" (with why this number). */
  kind: 'fact' | 'assumption';
  note: string;
}

export interface Scenario {
  name: string;
  description: string;
  good: Record<string, Parameter>;
  attacker: Record<string, Parameter>;
}

export class ScenarioInvalid extends Error {
  override name = 'ScenarioInvalid';
}

/** Every parameter the simulation reads, so a scenario missing one fails before it runs. */
const REQUIRED = {
  good: [
    'customers',
    'hours',
    'payments_per_day',
    'category_mix',
    'category_weights',
    'category_yen',
    'big_spender_share',
    'big_spend_yen',
    'phone_change_share',
    'travel_share',
    'resale_buyer_share',
    'resale_yen',
    'customers_per_home_prefix',
    'mobile_share',
    'customers_per_mobile_prefix',
    'habit_max_yen',
    'account_age_days',
  ],
  attacker: [
    'accounts',
    'takeovers_by_hour',
    'factor_share_totp_sim_none',
    'foreign_share',
    'source_prefixes',
    'accounts_per_device',
    'topups',
    'topup_window_seconds',
    'loss_small_share',
    'loss_small_yen',
    'loss_large_yen',
    'wait_minutes',
    'payment_yen_max',
    'stores',
    'terminals_per_store',
    'categories',
    'spend_near_habit',
    'payment_gap_minutes',
  ],
} as const;

export function parseScenario(text: string): Scenario {
  const raw = JSON.parse(text) as Partial<Scenario>;
  if (typeof raw.name !== 'string' || !raw.good || !raw.attacker) {
    throw new ScenarioInvalid('a scenario needs name, good and attacker');
  }
  for (const part of ['good', 'attacker'] as const) {
    for (const key of REQUIRED[part]) {
      const p = raw[part]![key];
      if (!p || p.value === undefined || (p.kind !== 'fact' && p.kind !== 'assumption')) {
        throw new ScenarioInvalid(`${part}.${key}: needs a value and kind fact|assumption`);
      }
    }
  }
  return raw as Scenario;
}

export const loadScenario = (file: string): Scenario =>
  parseScenario(fs.readFileSync(file, 'utf8'));

export function num(part: Record<string, Parameter>, key: string): number {
  const v = part[key]?.value;
  if (typeof v !== 'number') throw new ScenarioInvalid(`${key}: must be a number`);
  return v;
}

export function nums(part: Record<string, Parameter>, key: string): number[] {
  const v = part[key]?.value;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new ScenarioInvalid(`${key}: must be a list of numbers`);
  }
  return v as number[];
}

export function strs(part: Record<string, Parameter>, key: string): string[] {
  const v = part[key]?.value;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new ScenarioInvalid(`${key}: must be a list of strings`);
  }
  return v as string[];
}

/** A seeded PRNG (mulberry32): the whole run follows from the seed, never Math.random. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  range(r: number[]): number {
    return this.int(r[0]!, r[1]!);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** An index drawn by weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}
