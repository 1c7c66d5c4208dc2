import type { RiskLimits } from '../config.ts';
import { allSent, type Db, type Sql, type Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { uuidv7 } from '../lib/ids.ts';
import { severer, type Decision, type RuleKind } from './engine.ts';
import {
  CardRanges,
  CardRangesFileInvalid,
  parseCardRanges,
  type CardRange,
} from './card-ranges.ts';
import { DEFAULT_RULE_SET } from './default-rules.ts';
import { reasonWords } from './reasons.ts';
import { RuleBook } from './rulebook.ts';
import {
  DelegatedFileInvalid,
  HOME_COUNTRY,
  HomeNetworks,
  parseDelegated,
} from './home-networks.ts';
import {
  effectiveLimits,
  limitReasons,
  periodStarts,
  tierOf,
  type OwnLimits,
  type Tier,
  type TopupLimits,
  type Usage,
} from './rules.ts';
import {
  baseSignals,
  factsAt,
  sourcePrefix,
  type AssessInput,
  type FactSource,
  type RiskFacts,
} from './facts.ts';

export type { AssessInput } from './facts.ts';
import * as store from './store.ts';
import { createReviews, type Reviews } from './reviews.ts';
import * as versions from './versions.ts';
import {
  ruleSetView,
  type Actor,
  type RuleSetView,
  type ShadowDiff,
  type VersionsDeps,
} from './versions.ts';
import {
  increments,
  isDense,
  mergeIncrements,
  readStarts,
  shardOf,
  velocityKeys,
  velocitySignals,
  VelocityView,
} from './velocity.ts';
import { riskError, type RiskErrorCode } from './errors.ts';

// assess(): the risk decision for one money movement (assessMany: a batch of them, as the
// register's micro-batch decides). It gathers the signals (the caller's facts, identity's
// facts, velocity from PostgreSQL), runs the live rule set and, if one runs in shadow, the
// shadow set beside it; limits per top-up, day and month and a frozen account are checked
// in code before the rules. record() writes the decisions and counts the attempts in the
// caller's transaction, the one that moves the money.

export interface Assessment {
  decision: Decision;
  /** Reason codes (never rule ids): a limit passed, or the deciding rule's reason. */
  reasons: string[];
  /** The deciding reason in plain words, for the customer ('' when allowed). */
  words: string;
  /** Top-ups: the limits that applied and what was used before this one. */
  limits?: { tier: Tier; effective: TopupLimits; usage: Usage };
  /** What record() writes: the decision row and the counters' increments. */
  record: { row: store.DecisionRow; increments: store.VelocityIncrement[] } | null;
}

interface RiskDeps {
  sql: Sql;
  clock: Clock;
  limits: RiskLimits;
  audit: VersionsDeps['audit'];
  /** Identity's facts for the signals (device, recent security changes); none in unit tests. */
  facts?: FactSource | undefined;
}

interface WalletLimits {
  tier: Tier;
  maximum: TopupLimits;
  own: OwnLimits | null;
  effective: TopupLimits;
  usage: Usage;
}

export interface Risk {
  /** The decision; `db` lets a top-up assess inside its transaction, after lockCustomer. */
  assess(input: AssessInput, db?: Db): Promise<Assessment>;
  /**
   * Decisions for a batch, in order: each sees the attempts decided before it. With `reads`
   * (readMany's), nothing more is read: the inputs are some of those read, the same objects.
   */
  assessMany(inputs: readonly AssessInput[], db?: Db, reads?: BatchReads): Promise<Assessment[]>;
  /**
   * assessMany's reads (rules, velocity counters, facts), sent now, so that a caller sends
   * them with its own reads in one round trip and decides later for those of the inputs it
   * still wants. What the reads do not use (`account`, `frozen`) may be filled in meanwhile.
   */
  readMany(inputs: readonly AssessInput[], db?: Db): BatchReads;
  /**
   * Writes decisions (subject: the payment or top-up id) and counts the attempts that go on
   * (`counted`: false for one refused later, say for want of funds; default: not blocked).
   */
  record(
    tx: Db,
    items: readonly { a: Assessment; subjectId?: string | null; counted?: boolean }[],
  ): Promise<void>;
  /** Writes a refused decision on its own, since the refusing transaction rolls back. */
  recordRefusal(a: Assessment, subjectId?: string): Promise<void>;
  /** Takes the customer's advisory lock so that assess + record are atomic per customer. */
  lockCustomer(tx: Tx, customerId: string): Promise<void>;
  /** lockCustomer for a batch (the register's), sent before its assessMany reads. */
  lockCustomers(tx: Tx, customerIds: readonly string[]): Promise<void>;
  /** Adds a top-up to the day's and month's usage (negative: gives it back). */
  recordUsage(tx: Tx, customerId: string, kind: RuleKind, amountMinor: bigint): Promise<void>;
  walletLimits(customerId: string, account: AssessInput['account'], db?: Db): Promise<WalletLimits>;
  /** Sets the customer's own limits (null: the tier's); each at most the tier's maximum. */
  setOwnLimits(customerId: string, own: OwnLimits, account: AssessInput['account']): Promise<void>;
  /** Decisions by outcome and reason over [from, to): the incident detectors' input. */
  countDecisions(from: Date, to: Date): Promise<DecisionCount[]>;
  /**
   * `kinko risk ip-table load FILE`: replaces the home-country address table with the home
   * country's blocks of a registry's delegated statistics file (audited).
   */
  loadHomeNetworks(text: string, who: { id: string }): Promise<HomeNetworksLoad>;
  /**
   * `kinko risk bin-table load FILE`: replaces the card range (BIN) table with a CSV file's
   * ranges (card-ranges.ts; audited).
   */
  loadCardRanges(text: string, who: { id: string }): Promise<{ ranges: number; replaced: number }>;
  /** The rule sets (the live one, the shadow one); exposed for versions and tests. */
  readonly rules: RuleBook;
  /** Rule-set versions: draft, shadow, diff, promotion by two operators. */
  readonly versions: Versions;
  /** The review queue: subjects held by a `review` decision, approved or declined. */
  readonly reviews: Reviews;
}

/** What readMany sent for a batch's inputs, for assessMany. */
export interface BatchReads {
  readonly at: ReadonlyMap<AssessInput, number>;
  readonly read: Promise<DecisionReads | null>;
}

interface Versions {
  list(): Promise<RuleSetView[]>;
  draft(who: Actor, input: { rules: unknown; note: string }): Promise<RuleSetView>;
  shadow(who: Actor, version: number): Promise<void>;
  requestPromotion(who: Actor, version: number): Promise<void>;
  approvePromotion(who: Actor, version: number): Promise<void>;
  diff(version: number, from: Date): Promise<ShadowDiff>;
  /** The shipped rule set: live on a fresh database, else drafted once (versions.ts). */
  offerShipped(): Promise<number | null>;
}

interface HomeNetworksLoad {
  country: string;
  registry: string;
  ranges: number;
  replaced: number;
  skippedLines: number;
}

interface DecisionCount {
  decision: Decision;
  reason: string | null;
  count: number;
}

export function createRisk(deps: RiskDeps): Risk {
  const { limits, clock } = deps;
  const rules = new RuleBook(limits.rulesRefreshMs, () => clock.now());
  const home = new HomeNetworks((db) => store.homeNetworks(db));
  const cards = new CardRanges((db) => store.cardRanges(db));
  const books = { rules, home, cards };
  const periods = () => periodStarts(clock.nowMs(), limits.usageUtcOffsetMinutes);
  const walletLimits: Risk['walletLimits'] = async (customerId, account, db = deps.sql) => {
    const tier = tierOf(limits, clock.nowMs(), account ?? {});
    const { usage, own } = await store.usageAndLimits(db, customerId, 'topup', periods());
    const maximum = limits.topup[tier];
    return { tier, maximum, own, effective: effectiveLimits(maximum, own), usage };
  };
  const { assessMany, readMany } = batchDecisions(deps, books, preliminary);
  return {
    // One attempt: its limits' read goes out with the rules' reads, in one round trip.
    assess: async (input, db = deps.sql) => {
      const pre = preliminary(input, db).then((a) => [a]);
      const decided = limits.engine === 'off' ? pre : decideAll(deps, books, db, [input], pre);
      return (await decided)[0]!;
    },
    assessMany,
    readMany,
    record: recordDecisions,
    recordRefusal: (a, subjectId) => recordRefusal(deps.sql, a, subjectId),
    ...{ lockCustomer: store.lockCustomer, lockCustomers: store.lockCustomers },
    recordUsage: (tx, customerId, kind, amountMinor) =>
      store.addUsage(
        tx,
        { customerId, kind, amountMinor, count: amountMinor >= 0n ? 1 : -1 },
        periods(),
      ),
    walletLimits,
    setOwnLimits: async (customerId, own, account) => {
      checkOwnLimits(own, limits.topup[tierOf(limits, clock.nowMs(), account ?? {})]);
      await store.setOwnLimits(deps.sql, customerId, own, clock.now());
    },
    countDecisions: (from, to) => countDecisions(deps.sql, from, to),
    loadHomeNetworks: (text, who) => loadHomeNetworks(deps, home, text, who),
    loadCardRanges: (text, who) => loadCardRanges(deps, cards, text, who),
    rules,
    versions: versionsOf({ sql: deps.sql, clock, audit: deps.audit, rules }),
    reviews: createReviews({ sql: deps.sql, clock, audit: deps.audit }),
  };

  /** The checks in code: a frozen account, and a top-up's limits. */
  async function preliminary(input: AssessInput, db: Db): Promise<Assessment> {
    const reasons: string[] = [];
    let decision: Decision = 'allow';
    if (input.frozen) {
      reasons.push('account_frozen');
      decision = 'block';
    }
    let applied: Assessment['limits'];
    if (input.kind === 'topup') {
      const w = await walletLimits(input.customerId, input.account, db);
      applied = { tier: w.tier, effective: w.effective, usage: w.usage };
      for (const r of limitReasons(w.effective, w.usage, input.amount)) {
        reasons.push(r);
        decision = 'block';
      }
    }
    const words = reasonWords(reasons[0] ?? null);
    return { decision, reasons, words, record: null, ...(applied ? { limits: applied } : {}) };
  }
}

function versionsOf(v: VersionsDeps): Versions {
  return {
    list: async () => (await store.ruleSets(v.sql)).map(ruleSetView),
    draft: (who, input) => versions.draft(v, who, input),
    shadow: (who, version) => versions.shadow(v, who, version),
    requestPromotion: (who, version) => versions.requestPromotion(v, who, version),
    approvePromotion: (who, version) => versions.approvePromotion(v, who, version),
    diff: (version, from) => versions.diff(v, version, from),
    offerShipped: () => versions.offerShipped(v, DEFAULT_RULE_SET),
  };
}

async function loadHomeNetworks(
  deps: RiskDeps,
  home: HomeNetworks,
  text: string,
  who: { id: string },
): Promise<HomeNetworksLoad> {
  let parsed: ReturnType<typeof parseDelegated>;
  try {
    parsed = parseDelegated(text, HOME_COUNTRY);
  } catch (e) {
    if (!(e instanceof DelegatedFileInvalid)) throw e;
    throw riskError('risk_ip_table_invalid', { extra: { problem: e.message } });
  }
  const { ranges, registry, skipped } = parsed;
  const at = deps.clock.now();
  const replaced = await deps.sql.begin(async (tx) => {
    const n = await store.replaceHomeNetworks(tx, { country: HOME_COUNTRY, registry, at }, ranges);
    await deps.audit.append(tx, [
      {
        action: 'risk.home_networks.loaded',
        actor: { type: 'cli', id: who.id },
        subject: { type: 'risk_home_networks', id: HOME_COUNTRY },
        outcome: 'success',
        detail: { registry, ranges: ranges.length, replaced: n },
      },
    ]);
    return n;
  });
  home.invalidate();
  const load = { country: HOME_COUNTRY, registry, ranges: ranges.length, replaced };
  return { ...load, skippedLines: skipped };
}

async function loadCardRanges(
  deps: RiskDeps,
  cards: CardRanges,
  text: string,
  who: { id: string },
): Promise<{ ranges: number; replaced: number }> {
  let ranges: CardRange[];
  try {
    ranges = parseCardRanges(text);
  } catch (e) {
    if (!(e instanceof CardRangesFileInvalid)) throw e;
    throw riskError('risk_bin_table_invalid', { extra: { problem: e.message } });
  }
  const replaced = await deps.sql.begin(async (tx) => {
    const n = await store.replaceCardRanges(tx, deps.clock.now(), ranges);
    await deps.audit.append(tx, [
      {
        action: 'risk.card_ranges.loaded',
        actor: { type: 'cli', id: who.id },
        subject: { type: 'risk_card_ranges', id: 'all' },
        outcome: 'success',
        detail: { ranges: ranges.length, replaced: n },
      },
    ]);
    return n;
  });
  cards.invalidate();
  return { ranges: ranges.length, replaced };
}

async function countDecisions(db: Db, from: Date, to: Date): Promise<DecisionCount[]> {
  return (await store.decisionCounts(db, from, to)).map((r) => ({
    decision: r.decision as Decision,
    reason: r.reason,
    count: Number(r.count),
  }));
}

const recordDecisions: Risk['record'] = async (tx, items) => {
  const rows: store.DecisionRow[] = [];
  const tallies = new Map<string, store.Tally>();
  for (const { a, subjectId } of items) {
    if (!a.record) continue;
    const row = a.record.row;
    if (plainAllow(row)) {
      const minute = new Date(row.decided_at.getTime() - (row.decided_at.getTime() % 60_000));
      const shadowVersion = row.shadow_version ?? 0;
      const id = `${minute.getTime()}\n${row.kind}\n${row.version}\n${shadowVersion}`;
      const t = tallies.get(id) ?? {
        minute,
        kind: row.kind,
        version: row.version,
        shadowVersion,
        count: 0,
      };
      t.count += 1;
      tallies.set(id, t);
    } else rows.push({ ...row, subject_id: subjectId ?? row.subject_id });
  }
  const counted = items.flatMap(({ a, counted }) =>
    a.record && (counted ?? a.decision !== 'block') ? a.record.increments : [],
  );
  // allSent: every write settles before a failure is reported and ROLLBACK may follow.
  await allSent([
    store.insertDecisions(tx, rows),
    store.addTallies(tx, [...tallies.values()]),
    store.addVelocity(tx, mergeIncrements(counted)),
  ]);
};

async function recordRefusal(sql: Sql, a: Assessment, subjectId?: string): Promise<void> {
  const row = a.record?.row;
  if (row) await store.insertDecisions(sql, [{ ...row, subject_id: subjectId ?? null }]);
}

/** Allowed, nothing fired, and the shadow (if any) agreeing: counted, not stored. */
const plainAllow = (r: store.DecisionRow) =>
  r.decision === 'allow' &&
  r.rules_fired.length === 0 &&
  (r.shadow_decision === null ||
    (r.shadow_decision === 'allow' && r.shadow_rules_fired?.length === 0));

function checkOwnLimits(own: OwnLimits, maximum: TopupLimits): void {
  const over = (v: bigint | null, max: bigint) => v !== null && v > max;
  if (
    over(own.perTopupMinor, maximum.perTopupMinor) ||
    over(own.dailyMinor, maximum.dailyMinor) ||
    over(own.monthlyMinor, maximum.monthlyMinor)
  ) {
    throw riskError('limit_above_maximum', { extra: { maximum: limitsJson(maximum) } });
  }
}

/**
 * assessMany and readMany: a batch's decisions, with its reads made here or sent earlier by
 * readMany (`preliminary`: the checks in code, before the rules).
 */
function batchDecisions(
  deps: RiskDeps,
  books: { rules: RuleBook; home: HomeNetworks; cards: CardRanges },
  preliminary: (input: AssessInput, db: Db) => Promise<Assessment>,
): Pick<Risk, 'assessMany' | 'readMany'> {
  const off = deps.limits.engine === 'off';
  const assessMany: Risk['assessMany'] = async (inputs, db = deps.sql, reads) => {
    const out: Assessment[] = [];
    for (const input of inputs) out.push(await preliminary(input, db));
    if (off) return out;
    if (!reads) return decideAll(deps, books, db, inputs, out);
    const read = await reads.read;
    assert(read !== null, 'risk reads of a batch made with the engine off');
    const facts = inputs.map((input) => {
      const i = reads.at.get(input);
      assert(i !== undefined, 'risk: an input of the batch was not read');
      return factsAt(read.facts, input, i);
    });
    return decideRead(deps, books, read, inputs, facts, out);
  };
  const readMany: Risk['readMany'] = (inputs, db = deps.sql) => {
    const at = new Map(inputs.map((input, i) => [input, i]));
    const read = off ? Promise.resolve(null) : readAll(deps, books, db, inputs);
    // Observed at once: assessMany awaits it, but its caller may throw before that.
    read.catch(() => undefined);
    return { at, read };
  };
  return { assessMany, readMany };
}

/** The rules, for every input of a batch: one read of facts and counters for all of them. */
async function decideAll(
  deps: RiskDeps,
  { rules, home, cards }: { rules: RuleBook; home: HomeNetworks; cards: CardRanges },
  db: Db,
  inputs: readonly AssessInput[],
  preliminaries: Assessment[] | Promise<Assessment[]>,
): Promise<Assessment[]> {
  const [read, out] = await Promise.all([
    readAll(deps, { rules, home, cards }, db, inputs),
    preliminaries,
  ]);
  const facts = inputs.map((input, i) => factsAt(read.facts, input, i));
  return decideRead(deps, { home, cards }, read, inputs, facts, out);
}

/** What the rules decide with: the rule sets, the velocity counters and the facts. */
interface DecisionReads {
  nowMs: number;
  active: Awaited<ReturnType<RuleBook['current']>>;
  buckets: Awaited<ReturnType<typeof store.velocityBuckets>>;
  facts: RiskFacts[] | Map<string, RiskFacts>;
}

/** decideAll's reads, for every input, sent together. */
async function readAll(
  deps: RiskDeps,
  { rules, home, cards }: { rules: RuleBook; home: HomeNetworks; cards: CardRanges },
  db: Db,
  inputs: readonly AssessInput[],
): Promise<DecisionReads> {
  const nowMs = deps.clock.nowMs();
  const keys = inputs.map((i) => velocityKeys(i.kind, { ...i, sourcePrefix: prefixOf(i) }));
  const allKeys = [...new Set(keys.flatMap((k) => Object.values(k)))];
  const split = { sparse: allKeys.filter((k) => !isDense(k)), dense: allKeys.filter(isDense) };
  const [active, buckets, facts] = await Promise.all([
    rules.current(db),
    store.velocityBuckets(db, split, readStarts(nowMs)),
    deps.facts ? deps.facts(db, inputs) : Promise.resolve([] as RiskFacts[]),
    home.refresh(db),
    cards.refresh(db),
  ]);
  return { nowMs, active, buckets, facts };
}

/** The rules for each input, in order, with what readAll read (`facts`: each input's). */
function decideRead(
  deps: RiskDeps,
  { home, cards }: { home: HomeNetworks; cards: CardRanges },
  { nowMs, active, buckets }: DecisionReads,
  inputs: readonly AssessInput[],
  facts: readonly (RiskFacts | undefined)[],
  out: Assessment[],
): Assessment[] {
  const keys = inputs.map((i) => velocityKeys(i.kind, { ...i, sourcePrefix: prefixOf(i) }));
  const view = new VelocityView(buckets, nowMs);
  const isHome = (ip: string) => home.isHome(ip);
  const cardRange = (bin: string) => cards.lookup(bin);
  inputs.forEach((input, i) => {
    const f = facts[i];
    const signals = baseSignals(input, f, deps.limits, nowMs, isHome, cardRange);
    velocitySignals(view, keys[i]!, signals);
    const live = active.live.evaluate(signals);
    const shadow = active.shadow?.evaluate(signals) ?? null;
    const a = out[i]!;
    a.decision = severer(a.decision, live.decision);
    if (live.reason) a.reasons.push(live.reason);
    a.words = reasonWords(a.reasons[0] ?? null);
    const noteworthy = a.decision !== 'allow' || (shadow && shadow.decision !== live.decision);
    a.record = {
      row: {
        id: uuidv7(nowMs),
        decided_at: new Date(nowMs),
        kind: input.kind,
        customer_id: input.customerId || null,
        subject_id: null,
        amount_minor: input.amount,
        decision: a.decision,
        reason: a.reasons[0] ?? null,
        version: active.live.version,
        rules_fired: live.fired,
        shadow_version: active.shadow?.version ?? null,
        shadow_decision: shadow?.decision ?? null,
        shadow_rules_fired: shadow?.fired ?? null,
        signals: noteworthy ? signals : null,
      },
      increments: increments(
        keys[i]!,
        input.amount,
        nowMs,
        shardOf(input.customerId || (input.cardFingerprint ?? ''), deps.limits.velocityShardsMax),
      ),
    };
    if (a.decision !== 'block') {
      for (const [dim, key] of Object.entries(keys[i]!)) {
        if (dim !== 'customer_topup') view.addPending(key, input.amount);
      }
    }
  });
  return out;
}

const prefixOf = (i: AssessInput) => (i.sourceIp ? sourcePrefix(i.sourceIp) : undefined);

export function limitsJson(l: TopupLimits) {
  return {
    per_topup: l.perTopupMinor.toString(),
    daily: l.dailyMinor.toString(),
    monthly: l.monthlyMinor.toString(),
  };
}

/**
 * The named error for a card link refused by the rules, or null: block refuses
 * (risk_card_link_blocked); step_up and review ask for a fresh strong factor, since linking
 * has no review queue of its own (the review queue holds money, a link holds none).
 */
export function cardLinkRefusal(a: Assessment, freshStrongAuth: boolean): KinkoError | null {
  const reason = a.words ? { reason: a.words } : {};
  if (a.decision === 'block') return riskError('risk_card_link_blocked', { extra: reason });
  if ((a.decision === 'step_up' || a.decision === 'review') && !freshStrongAuth) {
    return riskError('risk_step_up_required', { extra: reason });
  }
  return null;
}

const REFUSALS: ReadonlyArray<[string, RiskErrorCode]> = [
  ['account_frozen', 'risk_blocked'],
  ['limit_per_topup', 'limit_per_topup_exceeded'],
  ['limit_daily', 'limit_daily_exceeded'],
  ['limit_monthly', 'limit_monthly_exceeded'],
];

/**
 * The named error for a refused assessment (block, or step_up without a fresh factor), in
 * the precedence of RISK_ERRORS; null when the money may move. `register`: a payment at a
 * register, refused with its own code the register shows.
 */
export function refusalOf(
  a: Assessment,
  freshStrongAuth: boolean,
  register = false,
): KinkoError | null {
  const reason = a.words ? { reason: a.words } : {};
  if (a.decision === 'block') {
    for (const [code, error] of REFUSALS) {
      if (!a.reasons.includes(code)) continue;
      const l = a.limits;
      const extra = l
        ? {
            limits: limitsJson(l.effective),
            used: { day: String(l.usage.dayMinor), month: String(l.usage.monthMinor) },
          }
        : undefined;
      return riskError(error, extra ? { extra } : {});
    }
    if (register) return riskError('risk_register_payment_blocked', { extra: reason });
    if (a.reasons.includes('rapid_payments')) {
      return riskError('risk_velocity_exceeded', { extra: { ...reason, retry_after_seconds: 60 } });
    }
    return riskError('risk_blocked', { extra: reason });
  }
  if (a.decision === 'step_up' && !freshStrongAuth) {
    return riskError('risk_step_up_required', { extra: reason });
  }
  return null;
}
