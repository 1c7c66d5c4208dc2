import { performance } from 'node:perf_hooks';
import type { RiskLimits } from '../src/config.ts';
import type { Sql } from '../src/db/index.ts';
import { manualClock, type Clock, type ManualClock } from '../src/lib/clock.ts';
import { createRisk, type AssessInput, type Assessment, type Risk } from '../src/risk/index.ts';
import { runOrdered } from './fraud-schedule.ts';
import { population, type Account, type SimEvent } from './fraud-sim.ts';
import type { Scenario } from './fraud-scenario.ts';

// Runs a scenario's events, in time order on a simulated clock, through the risk service
// payments use (createRisk: the live rule set from risk_rule_sets, velocity counters in
// risk_velocity, top-up usage in risk_usage), exactly as a top-up does (lock the customer,
// assess, record the decision and usage in one transaction) and as a register payment does
// (assess, then record in the payment's transaction). The facts identity would hand the
// engine (device bound when, accounts per device, the customer's largest amount, customers
// per network today) come from the simulation's state, through the same FactSource hook.
// What a decision does to the event is Kinko's policy: allow; step_up passes only with a
// fresh strong factor (good customers have theirs, an attacker only a phished TOTP or a
// swapped SIM); review holds a top-up for an analyst (who refuses the attacker's, approves
// the customer's later) and lets a payment through flagged; block refuses.

export interface Figures {
  scenario: string;
  seed: number;
  customers: number;
  victims: number;
  decisions: number;
  fraud_yen_planned: number;
  fraud_yen_spent: number;
  fraud_yen_stopped_pct: number;
  fraud_accounts_stopped_before_first_payment_pct: number;
  good_payments: number;
  good_payments_challenged_pct: number;
  good_payments_blocked_pct: number;
  good_topups: number;
  good_topups_held: number;
  good_customers_held_pct: number;
  decisions_per_s: number;
  decision_p50_ms: number;
  decision_p99_ms: number;
  rules_fired_on_fraud: Record<string, number>;
  rules_fired_on_good: Record<string, number>;
}

interface State {
  sql: Sql;
  /** Accounts ever bound on a device. */
  devices: Map<string, number>;
  /** When a device was bound to an account (`<account> <device>`): identity's bound_at. */
  boundAt: Map<string, number>;
  sourceDay: Map<string, Set<string>>;
  maxAmount: Map<string, number>;
  times: number[];
  tally: Tally;
}

/** One event in flight: its clock (the event's time) and a risk service reading it. */
interface Lane {
  st: State;
  clock: ManualClock;
  risk: Risk;
}

interface Tally {
  goodPayments: number;
  challenged: number;
  blocked: number;
  goodTopups: number;
  held: number;
  heldCustomers: Set<string>;
  firedFraud: Record<string, number>;
  firedGood: Record<string, number>;
}

const prefixOf = (ip: string) => ip.split('.').slice(0, 3).join('.');
const dayOf = (t: number) => Math.floor((t + 9 * 3_600_000) / 86_400_000);

function factsOf(st: State, clock: Clock) {
  return async (_db: unknown, inputs: readonly AssessInput[]) => {
    const out = new Map<string, object>();
    for (const i of inputs) {
      const accounts = i.deviceId ? st.devices.get(i.deviceId) : undefined;
      const boundAt = st.boundAt.get(`${i.customerId} ${i.deviceId}`);
      const day = dayOf(clock.nowMs());
      const src = i.sourceIp ? st.sourceDay.get(`${day}:${prefixOf(i.sourceIp)}`) : undefined;
      out.set(i.customerId, {
        securityChangeAt: null,
        device: accounts && boundAt !== undefined ? { boundAt: new Date(boundAt), accounts } : null,
        cardOtherCustomers: 0,
        amountMax30dMinor: BigInt(st.maxAmount.get(i.customerId) ?? 0),
        sourceAccounts1d: src?.size ?? 0,
        sourceFailures1h: 0,
      });
    }
    return out;
  };
}

/**
 * Binds a device to an account. Its age is the binding's, not the device's: a mule's phone
 * first used a day ago is new to the account taken over on it now.
 */
function bind(st: State, acc: Account, device: string, at: number): void {
  st.devices.set(device, (st.devices.get(device) ?? 0) + 1);
  st.boundAt.set(`${acc.id} ${device}`, at);
}

function fire(into: Record<string, number>, a: Assessment): void {
  for (const r of a.record?.row.rules_fired ?? []) into[r] = (into[r] ?? 0) + 1;
  if (a.reasons.length && !a.record?.row.rules_fired?.length) {
    into[a.reasons[0]!] = (into[a.reasons[0]!] ?? 0) + 1;
  }
}

/** Whether the money moves: step_up passes with a factor, review holds only top-ups. */
function passes(a: Assessment, kind: 'topup' | 'pay', acc: Account): boolean {
  if (a.decision === 'block') return false;
  if (a.decision === 'review') return kind === 'pay';
  if (a.decision === 'step_up') return !acc.attack || acc.attack.factor !== 'none';
  return true;
}

async function timed<T>(st: State, f: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const r = await f();
  st.times.push(performance.now() - started);
  return r;
}

function seen(l: Lane, acc: Account, ip: string | undefined, amount: number): void {
  const st = l.st;
  if (ip) {
    const k = `${dayOf(l.clock.nowMs())}:${prefixOf(ip)}`;
    let set = st.sourceDay.get(k);
    if (!set) st.sourceDay.set(k, (set = new Set()));
    set.add(acc.id);
  }
  st.maxAmount.set(acc.id, Math.max(st.maxAmount.get(acc.id) ?? acc.habitMax, amount));
}

/** A top-up as payments/ runs one: under the customer's lock, assess, record, usage. */
async function topup(l: Lane, acc: Account, amount: number, ip: string, device: string) {
  const { st, risk } = l;
  const input: AssessInput = {
    kind: 'topup',
    customerId: acc.id,
    deviceId: device,
    cardFingerprint: acc.card,
    cardFunding: 'credit',
    sourceIp: ip,
    amount: BigInt(amount),
    currency: 'JPY',
    account: { createdAt: acc.createdAt },
  };
  const a = await st.sql.begin(async (tx) => {
    await risk.lockCustomer(tx, acc.id);
    const a = await timed(st, () => risk.assess(input, tx));
    const ok = passes(a, 'topup', acc);
    await Promise.all([
      risk.record(tx, [{ a, counted: ok }]),
      ok ? risk.recordUsage(tx, acc.id, 'topup', BigInt(amount)) : null,
    ]);
    return a;
  });
  const ok = passes(a, 'topup', acc);
  if (ok) acc.balance += amount;
  seen(l, acc, ip, amount);
  fire(acc.attack ? st.tally.firedFraud : st.tally.firedGood, a);
  if (!acc.attack) {
    st.tally.goodTopups++;
    if (a.decision === 'review') {
      st.tally.held++;
      st.tally.heldCustomers.add(acc.id);
      // The analyst approves a customer's held top-up; it lands after the review.
      acc.balance += amount;
    }
  }
  return ok;
}

async function payment(l: Lane, e: Extract<SimEvent, { type: 'pay' }>): Promise<void> {
  const { st, risk } = l;
  const acc = e.acc;
  if (!acc.attack && acc.balance < e.amount) {
    const top = Math.max(10_000, Math.ceil((e.amount - acc.balance) / 10_000) * 10_000);
    await topup(l, acc, Math.min(top, 100_000), topupSource(e), e.device);
  }
  const amount = Math.min(e.amount, acc.balance);
  if (amount <= 0) return;
  const input: AssessInput = {
    kind: 'code_payment',
    customerId: acc.id,
    deviceId: e.device,
    terminalId: e.terminal,
    storeId: e.store,
    merchantId: e.store,
    merchantCategory: e.category,
    amount: BigInt(amount),
    currency: 'JPY',
    account: { createdAt: acc.createdAt },
  };
  const a = await timed(st, () => risk.assess(input));
  const ok = passes(a, 'pay', acc);
  await st.sql.begin((tx) => risk.record(tx, [{ a, counted: ok }]));
  seen(l, acc, undefined, amount);
  if (acc.attack) {
    fire(st.tally.firedFraud, a);
    if (!ok) return;
    acc.attack.spent += amount;
    acc.attack.paid = true;
  } else {
    fire(st.tally.firedGood, a);
    st.tally.goodPayments++;
    if (a.decision === 'step_up') st.tally.challenged++;
    if (a.decision === 'block') st.tally.blocked++;
  }
  if (ok) acc.balance -= amount;
}

export interface RunOptions {
  sql: Sql;
  limits: RiskLimits;
  /** Good customers (default: the scenario's); the attacker is always the scenario's. */
  customers?: number;
  /** Engine off: only the limits in code decide, and only the attacker's events run. */
  engineOff?: boolean;
  /**
   * Events in flight at once (default 1), each lane with its own connection use and clock;
   * the figures do not depend on it (fraud-schedule.ts).
   */
  lanes?: number;
}

/** One run of a scenario: every event through the risk service; the figures. */
export async function runScenario(s: Scenario, seed: number, o: RunOptions): Promise<Figures> {
  const pop = population(s, seed, o.customers, o.engineOff ? 'off-' : '');
  const limits: RiskLimits = { ...o.limits, engine: o.engineOff ? 'off' : 'on' };
  const st: State = {
    sql: o.sql,
    devices: new Map(),
    boundAt: new Map(),
    sourceDay: new Map(),
    maxAmount: new Map(),
    times: [],
    tally: {
      goodPayments: 0,
      challenged: 0,
      blocked: 0,
      goodTopups: 0,
      held: 0,
      heldCustomers: new Set(),
      firedFraud: {},
      firedGood: {},
    },
  };
  const lanes = Array.from({ length: o.lanes ?? 1 }, (): Lane => {
    const clock = manualClock(pop.events[0]?.t ?? 0);
    const facts = factsOf(st, clock);
    return { st, clock, risk: createRisk({ sql: o.sql, clock, limits, audit: NO_AUDIT, facts }) };
  });
  for (const acc of [...pop.good, ...pop.victims]) bind(st, acc, acc.device, acc.deviceBoundAt);
  const events = pop.events
    .filter((e) => !o.engineOff || e.acc.attack)
    .map((e) => ({ e, keys: keysOf(e) }));
  const started = performance.now();
  await runOrdered(events, lanes, async (l, { e }) => {
    l.clock.set(e.t);
    if (e.type === 'bind') bind(st, e.acc, e.device, e.t);
    else if (e.type === 'topup') await topup(l, e.acc, e.amount, e.ip, e.device);
    else await payment(l, e);
  });
  return figuresOf(s, seed, pop.good.length, pop.victims, st, performance.now() - started);
}

/**
 * What an event reads or writes besides its own decision row: its customer (counters, usage,
 * balance), its device (counters, accounts bound), its store and terminal (counters) and the
 * network of any top-up (counters, customers per network today).
 */
function keysOf(e: SimEvent): string[] {
  const keys = [`c:${e.acc.id}`, `d:${e.device}`];
  if (e.type === 'topup') keys.push(`n:${prefixOf(e.ip)}`);
  if (e.type !== 'pay') return keys;
  keys.push(`s:${e.store}`, `t:${e.terminal}`);
  if (!e.acc.attack) keys.push(`n:${prefixOf(topupSource(e))}`);
  return keys;
}

/** Where a good customer tops up from before a payment: home, or a network abroad. */
const topupSource = (e: Extract<SimEvent, { type: 'pay' }>) =>
  e.foreign ? `1.0.${e.acc.id.length}.7` : e.acc.homeIp;

/** Only rule-set versioning audits; the replay drafts no version, so it never appends. */
const NO_AUDIT = {
  append: () => Promise.reject(new Error('bench:fraud changes no rule set')),
};

const pct = (x: number, of: number) => (of ? Number(((100 * x) / of).toFixed(3)) : 0);

function figuresOf(
  s: Scenario,
  seed: number,
  customers: number,
  victims: Account[],
  st: State,
  ms: number,
): Figures {
  const planned = victims.reduce((t, v) => t + v.attack!.planned, 0);
  const spent = victims.reduce((t, v) => t + v.attack!.spent, 0);
  const times = [...st.times].sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))];
  const t = st.tally;
  return {
    scenario: s.name,
    seed,
    customers,
    victims: victims.length,
    decisions: times.length,
    fraud_yen_planned: planned,
    fraud_yen_spent: spent,
    fraud_yen_stopped_pct: pct(planned - spent, planned),
    fraud_accounts_stopped_before_first_payment_pct: pct(
      victims.filter((v) => !v.attack!.paid).length,
      victims.length,
    ),
    good_payments: t.goodPayments,
    good_payments_challenged_pct: pct(t.challenged, t.goodPayments),
    good_payments_blocked_pct: pct(t.blocked, t.goodPayments),
    good_topups: t.goodTopups,
    good_topups_held: t.held,
    good_customers_held_pct: pct(t.heldCustomers.size, customers),
    decisions_per_s: Math.round((times.length * 1000) / ms),
    decision_p50_ms: Number((at(50) ?? 0).toFixed(3)),
    decision_p99_ms: Number((at(99) ?? 0).toFixed(3)),
    rules_fired_on_fraud: t.firedFraud,
    rules_fired_on_good: t.firedGood,
  };
}
