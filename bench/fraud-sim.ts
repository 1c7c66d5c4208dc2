import { Rng, num, nums, strs, type Scenario } from './fraud-scenario.ts';

// The events of a fraud scenario, drawn from its parameters and a seed: good customers with
// their habits and an attacker's taken-over accounts, as one time-ordered list. Pure: no
// database, no clock; fraud-run.ts sends each event through the risk engine.

export const SIM_START_MS = Date.UTC(2026, 6, 3, 0, 0, 0);
const MINUTE = 60_000;
const HOUR = 3_600_000;

export type Factor = 'totp' | 'sim' | 'none';

export interface Account {
  id: string;
  createdAt: Date;
  device: string;
  deviceBoundAt: number;
  homeIp: string;
  card: string;
  /** The largest payment or top-up of the last 30 days before the run. */
  habitMax: number;
  balance: number;
  /** A victim: the factor its attacker holds, and the yen the attacker means to take. */
  attack?: { factor: Factor; planned: number; spent: number; paid: boolean };
}

export type SimEvent =
  | {
      t: number;
      type: 'pay';
      acc: Account;
      amount: number;
      category: string;
      store: string;
      terminal: string;
      device: string;
      foreign: boolean;
    }
  | { t: number; type: 'topup'; acc: Account; amount: number; ip: string; device: string }
  | { t: number; type: 'bind'; acc: Account; device: string };

export interface Population {
  good: Account[];
  victims: Account[];
  events: SimEvent[];
}

/**
 * The simulation's home country, as the risk engine's address table holds it: every home
 * network (customers' and a domestic attacker's) is drawn in 60.0.0.0–79.255.255.255 and
 * every foreign one in 1.0.0.0/8, so `source_home` sees what the scenario
 * meant (an assumption of the model: these are not Japan's real blocks).
 */
export const SIM_HOME_RANGES = [{ first: '60.0.0.0', last: '79.255.255.255' }] as const;

const ip = (prefix: number, host: number) =>
  `${60 + (prefix >>> 16)}.${(prefix >>> 8) & 255}.${prefix & 255}.${1 + (host % 250)}`;
const foreignIp = (prefix: number, host: number) =>
  `${1 + (prefix >>> 16)}.${(prefix >>> 8) & 255}.${prefix & 255}.${1 + (host % 250)}`;

function account(s: Scenario, rng: Rng, id: string, mobilePrefixes: number, homePrefixes: number) {
  const g = s.good;
  const ageDays = rng.range(nums(g, 'account_age_days'));
  const created = SIM_START_MS - ageDays * 86_400_000;
  const mobile = rng.chance(num(g, 'mobile_share'));
  const prefix = mobile
    ? rng.int(0, mobilePrefixes - 1)
    : mobilePrefixes + rng.int(0, homePrefixes);
  const acc: Account = {
    id,
    createdAt: new Date(created),
    device: `dev-${id}`,
    deviceBoundAt: created,
    homeIp: ip(prefix, rng.int(0, 10_000)),
    card: `card-${id}`,
    habitMax: rng.range(nums(g, 'habit_max_yen')),
    balance: rng.int(0, 5) * 1000,
  };
  return acc;
}

/** A good customer's 48 hours: payments by habit, perhaps a new phone, a trip, resale goods. */
function habits(s: Scenario, rng: Rng, acc: Account, out: SimEvent[]): void {
  const g = s.good;
  const hours = num(g, 'hours');
  const cats = strs(g, 'category_mix');
  const weights = nums(g, 'category_weights');
  const yen = nums(g, 'category_yen');
  const big = rng.chance(num(g, 'big_spender_share'));
  const resale = rng.chance(num(g, 'resale_buyer_share'));
  const travelling = rng.chance(num(g, 'travel_share'));
  let device = acc.device;
  if (rng.chance(num(g, 'phone_change_share'))) {
    device = `${acc.device}-new`;
    out.push({ t: SIM_START_MS + rng.int(0, hours * 60) * MINUTE, type: 'bind', acc, device });
  }
  const perDay = nums(g, 'payments_per_day');
  const count = Math.round((rng.range(perDay) * hours) / 24);
  for (let i = 0; i < count; i++) {
    // Waking hours, 07:00-23:00 JST, i.e. 22:00-14:00 UTC.
    const day = rng.int(0, Math.ceil(hours / 24) - 1);
    const t = SIM_START_MS + day * 86_400_000 + (rng.int(7 * 60, 23 * 60) - 9 * 60) * MINUTE;
    if (t < SIM_START_MS || t >= SIM_START_MS + hours * HOUR) continue;
    let c = rng.weighted(weights);
    let amount = rng.int(yen[2 * c]!, yen[2 * c + 1]!);
    let category = cats[c]!;
    if (resale && rng.chance(0.3)) {
      category = rng.chance(0.6) ? 'tobacco' : 'gift_cards';
      amount = rng.range(nums(g, 'resale_yen'));
      c = -1;
    }
    if (big && rng.chance(0.15)) {
      category = 'electronics';
      amount = rng.range(nums(g, 'big_spend_yen'));
      acc.habitMax = Math.max(acc.habitMax, amount);
    }
    const store = `store-${category}-${rng.int(0, 2000)}`;
    out.push({
      t,
      type: 'pay',
      acc,
      amount: Math.round(amount / 10) * 10,
      category,
      store,
      terminal: `${store}-t${rng.int(0, 3)}`,
      device,
      foreign: travelling && day === 1,
    });
  }
}

/** The run's events; `prefix` keeps a second run's ids apart in the same database. */
export function population(s: Scenario, seed: number, customers?: number, prefix = ''): Population {
  const rng = new Rng(seed);
  const g = s.good;
  const n = customers ?? num(g, 'customers');
  const mobilePrefixes = Math.max(
    1,
    Math.round((n * num(g, 'mobile_share')) / num(g, 'customers_per_mobile_prefix')),
  );
  const homePrefixes = Math.max(1, Math.round(n / num(g, 'customers_per_home_prefix')));
  const events: SimEvent[] = [];
  const good: Account[] = [];
  for (let i = 0; i < n; i++) {
    const acc = account(s, rng, uuidOf(prefix, 1, i), mobilePrefixes, homePrefixes);
    good.push(acc);
    habits(s, rng, acc, events);
  }
  const victims: Account[] = [];
  const a = s.attacker;
  for (let i = 0; i < num(a, 'accounts'); i++) {
    const acc = account(s, rng, uuidOf(prefix, 2, i), mobilePrefixes, homePrefixes);
    victims.push(acc);
  }
  attack(s, rng, victims, events);
  events.sort((x, y) => x.t - y.t || order(x) - order(y));
  return { good, victims, events };
}

/** Customer ids are uuids, as identity's are: run prefix (0/8), kind (1 good, 2 victim), n. */
const uuidOf = (prefix: string, kind: number, n: number) =>
  `${prefix ? '8' : '0'}000000${kind}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const order = (e: SimEvent) => (e.type === 'bind' ? 0 : e.type === 'topup' ? 1 : 2);

/** The planned loss of one victim: a small or a large one, as the scenario mixes them. */
function plannedLoss(s: Scenario, rng: Rng, victim: Account): number {
  const a = s.attacker;
  let yen = rng.chance(num(a, 'loss_small_share'))
    ? rng.range(nums(a, 'loss_small_yen'))
    : rng.range(nums(a, 'loss_large_yen'));
  if (num(a, 'spend_near_habit') > 0) yen = Math.min(yen, Math.round(victim.habitMax * 1.5));
  return Math.round(yen / 10) * 10;
}

function attack(s: Scenario, rng: Rng, victims: Account[], out: SimEvent[]): void {
  const a = s.attacker;
  const ramp = nums(a, 'takeovers_by_hour');
  const shares = nums(a, 'factor_share_totp_sim_none');
  const perDevice = nums(a, 'accounts_per_device');
  const stores = num(a, 'stores');
  const cats = strs(a, 'categories');
  let phone = 0;
  let onPhone = 0;
  let phoneCap = rng.range(perDevice);
  for (const v of victims) {
    if (onPhone >= phoneCap) {
      phone++;
      onPhone = 0;
      phoneCap = rng.range(perDevice);
    }
    onPhone++;
    const factor = (['totp', 'sim', 'none'] as const)[rng.weighted(shares)]!;
    const planned = plannedLoss(s, rng, v);
    v.attack = { factor, planned, spent: 0, paid: false };
    const takeover = SIM_START_MS + rng.weighted(ramp) * HOUR + rng.int(0, 3599) * 1000;
    const device = `${victims[0]!.id}-atk-phone-${phone}`;
    out.push({ t: takeover, type: 'bind', acc: v, device });
    const prefix = rng.int(0, num(a, 'source_prefixes') - 1);
    const src = rng.chance(num(a, 'foreign_share'))
      ? foreignIp(prefix, phone)
      : ip(900_000 + prefix, phone);
    const start = takeover + rng.range(nums(a, 'wait_minutes')) * MINUTE;
    const n = Math.max(Math.ceil(planned / 100_000), rng.range(nums(a, 'topups')));
    const window = num(a, 'topup_window_seconds') * 1000;
    for (let k = 0; k < n; k++) {
      const amount =
        k < n - 1
          ? Math.floor(planned / n / 10) * 10
          : planned - (n - 1) * Math.floor(planned / n / 10) * 10;
      const t = start + Math.floor((window * k) / n) + rng.int(0, 5000);
      out.push({ t, type: 'topup', acc: v, amount, ip: src, device });
    }
    attackerPayments(s, rng, v, start + window, { device, stores, cats, foreign: src }, out);
  }
}

function attackerPayments(
  s: Scenario,
  rng: Rng,
  v: Account,
  after: number,
  p: { device: string; stores: number; cats: string[]; foreign: string },
  out: SimEvent[],
): void {
  const a = s.attacker;
  const max = num(a, 'payment_yen_max');
  const near = num(a, 'spend_near_habit') > 0;
  const planned = v.attack!.planned;
  const cap = near ? Math.max(1000, Math.round(v.habitMax * 0.9)) : max;
  const parts = Math.ceil(planned / cap);
  let left = planned;
  let t = after;
  const store = rng.int(0, p.stores - 1);
  const storeId = `atk-store-${store}`;
  for (let k = 0; k < parts; k++) {
    const amount = k < parts - 1 ? Math.round(planned / parts / 10) * 10 : left;
    left -= amount;
    t += rng.range(nums(a, 'payment_gap_minutes')) * MINUTE + rng.int(0, 59) * 1000;
    const category = p.cats[rng.int(0, p.cats.length - 1)]!;
    const terminal = `${storeId}-t${rng.int(0, num(a, 'terminals_per_store') - 1)}`;
    out.push({
      t,
      type: 'pay',
      acc: v,
      amount,
      category,
      store: storeId,
      terminal,
      device: p.device,
      foreign: false,
    });
  }
}
