import { int8Array, textArray, type Db, type Tx } from '../db/index.ts';
import type { CardRange } from './card-ranges.ts';
import type { OwnLimits, Usage } from './rules.ts';

// The risk module's only SQL: the customer's own limits and the amounts used per local day
// and month (tables risk_customer_limits and risk_usage, migrations/0009).

export async function usageAndLimits(
  db: Db,
  customerId: string,
  kind: string,
  periods: { day: string; month: string },
): Promise<{ usage: Usage; own: OwnLimits | null }> {
  const rows = await db<
    {
      day_minor: bigint | null;
      month_minor: bigint | null;
      per_topup_minor: bigint | null;
      daily_minor: bigint | null;
      monthly_minor: bigint | null;
      own: boolean;
    }[]
  >`
    select
      (select amount_minor from risk_usage where customer_id = ${customerId} and kind = ${kind}
         and period = 'day' and period_start = ${periods.day}::date) as day_minor,
      (select amount_minor from risk_usage where customer_id = ${customerId} and kind = ${kind}
         and period = 'month' and period_start = ${periods.month}::date) as month_minor,
      l.per_topup_minor, l.daily_minor, l.monthly_minor, l.customer_id is not null as own
    from (select 1) one
    left join risk_customer_limits l on l.customer_id = ${customerId}`;
  const r = rows[0]!;
  return {
    usage: { dayMinor: r.day_minor ?? 0n, monthMinor: r.month_minor ?? 0n },
    own: r.own
      ? {
          perTopupMinor: r.per_topup_minor,
          dailyMinor: r.daily_minor,
          monthlyMinor: r.monthly_minor,
        }
      : null,
  };
}

/** Adds (or, with a negative amount, gives back) usage to the day and month rows. */
export async function addUsage(
  tx: Tx,
  u: { customerId: string; kind: string; amountMinor: bigint; count: number },
  periods: { day: string; month: string },
): Promise<void> {
  await tx`
    insert into risk_usage (customer_id, kind, period, period_start, amount_minor, count)
    values
      (${u.customerId}, ${u.kind}, 'day', ${periods.day}::date,
       greatest(${u.amountMinor.toString()}::int8, 0), greatest(${u.count}, 0)),
      (${u.customerId}, ${u.kind}, 'month', ${periods.month}::date,
       greatest(${u.amountMinor.toString()}::int8, 0), greatest(${u.count}, 0))
    on conflict (customer_id, kind, period, period_start) do update
      set amount_minor = greatest(risk_usage.amount_minor + ${u.amountMinor.toString()}::int8, 0),
          count = greatest(risk_usage.count + ${u.count}, 0)`;
}

export async function setOwnLimits(
  db: Db,
  customerId: string,
  own: OwnLimits,
  at: Date,
): Promise<void> {
  await db`
    insert into risk_customer_limits
      (customer_id, per_topup_minor, daily_minor, monthly_minor, updated_at)
    values (${customerId}, ${own.perTopupMinor?.toString() ?? null}::int8,
            ${own.dailyMinor?.toString() ?? null}::int8,
            ${own.monthlyMinor?.toString() ?? null}::int8, ${at})
    on conflict (customer_id) do update
      set per_topup_minor = excluded.per_topup_minor, daily_minor = excluded.daily_minor,
          monthly_minor = excluded.monthly_minor, updated_at = excluded.updated_at`;
}

/** Serialises one customer's assess-and-record against their concurrent top-ups. */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`risk:${customerId}`}, 0))`;
}

/** lockCustomer for a batch's customers, in sorted order (two batches never deadlock). */
export async function lockCustomers(tx: Tx, customerIds: readonly string[]): Promise<void> {
  if (customerIds.length === 0) return;
  await tx`
    select pg_advisory_xact_lock(hashtextextended('risk:' || id, 0))
    from unnest(${[...new Set(customerIds)].sort()}::text[]) with ordinality as t(id, n)
    order by n`;
}

// ---- Rule sets (risk_rule_sets, migrations/0030) ----

export interface RuleSetRow {
  version: number;
  status: 'draft' | 'shadow' | 'live' | 'retired';
  rules: unknown;
  note: string;
  created_by: string;
  created_at: Date;
  promotion_requested_by: string | null;
  promotion_requested_at: Date | null;
  approved_by: string | null;
  live_at: Date | null;
  retired_at: Date | null;
}

/** Serialises version changes (insertDraft takes the same lock). */
export async function lockRuleSets(tx: Tx): Promise<void> {
  await tx`lock table risk_rule_sets in share row exclusive mode`;
}

export async function noRuleSets(db: Db): Promise<boolean> {
  const [r] = await db<{ none: boolean }[]>`
    select not exists (select 1 from risk_rule_sets) as none`;
  return r!.none;
}

/** Whether some version (any status) holds exactly these rules (jsonb equality). */
export async function hasRuleSet(db: Db, rules: unknown): Promise<boolean> {
  const [r] = await db<{ found: boolean }[]>`
    select exists (select 1 from risk_rule_sets where rules = ${db.json(rules as never)}::jsonb)
      as found`;
  return r!.found;
}

/** Inserts the default rule set as live version 1 when there is no rule set at all. */
export async function seedRuleSet(db: Db, rules: unknown, at: Date): Promise<void> {
  await db`
    insert into risk_rule_sets (version, status, rules, note, created_by, created_at, live_at)
    select 1, 'live', ${db.json(rules as never)}, 'the rule set Kinko ships', 'system',
           ${at}, ${at}
    where not exists (select 1 from risk_rule_sets)
    on conflict do nothing`;
}

export async function activeRuleSets(db: Db): Promise<RuleSetRow[]> {
  return db<RuleSetRow[]>`
    select * from risk_rule_sets where status in ('live', 'shadow') order by version`;
}

export async function ruleSets(db: Db): Promise<RuleSetRow[]> {
  return db<RuleSetRow[]>`select * from risk_rule_sets order by version desc limit 100`;
}

export async function ruleSet(db: Db, version: number, lock = false): Promise<RuleSetRow | null> {
  const rows = lock
    ? await db<RuleSetRow[]>`select * from risk_rule_sets where version = ${version} for update`
    : await db<RuleSetRow[]>`select * from risk_rule_sets where version = ${version}`;
  return rows[0] ?? null;
}

export async function insertDraft(
  tx: Tx,
  d: { rules: unknown; note: string; createdBy: string; at: Date },
): Promise<number> {
  // The table's lock makes version numbers contiguous under concurrent drafts.
  await tx`lock table risk_rule_sets in share row exclusive mode`;
  const [row] = await tx<{ version: number }[]>`
    insert into risk_rule_sets (version, status, rules, note, created_by, created_at)
    select coalesce(max(version), 0) + 1, 'draft', ${tx.json(d.rules as never)}, ${d.note},
           ${d.createdBy}, ${d.at}
    from risk_rule_sets
    returning version`;
  return row!.version;
}

export async function setStatus(
  tx: Tx,
  version: number,
  set: Partial<Pick<RuleSetRow, 'status' | 'promotion_requested_by' | 'approved_by'>> & {
    promotion_requested_at?: Date | null;
    live_at?: Date;
    retired_at?: Date;
  },
): Promise<void> {
  await tx`update risk_rule_sets set ${tx(set as Record<string, unknown>)}
    where version = ${version}`;
}

// ---- Decisions (risk_decisions) ----

export interface DecisionRow {
  id: string;
  decided_at: Date;
  kind: string;
  customer_id: string | null;
  subject_id: string | null;
  amount_minor: bigint;
  decision: string;
  reason: string | null;
  version: number;
  rules_fired: string[];
  shadow_version: number | null;
  shadow_decision: string | null;
  shadow_rules_fired: string[] | null;
  signals: unknown;
}

export async function insertDecisions(tx: Db, rows: readonly DecisionRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Every column as a text array literal (textArray), cast by PostgreSQL: postgres.js cannot
  // type arrays of dates or arrays with nulls itself.
  const col = (f: (r: DecisionRow) => string | number | bigint | null) =>
    textArray(
      rows.map((r) => {
        const v = f(r);
        return v === null ? null : String(v);
      }),
    );
  const list = (xs: readonly string[] | null) => (xs === null ? null : textArray(xs));
  await tx`
    insert into risk_decisions (id, decided_at, kind, customer_id, subject_id, amount_minor,
      decision, reason, version, rules_fired, shadow_version, shadow_decision,
      shadow_rules_fired, signals)
    select id, decided_at, kind, customer_id, subject_id, amount_minor, decision, reason,
      version, rules_fired::text[], shadow_version, shadow_decision,
      shadow_rules_fired::text[], signals::jsonb
    from unnest(${col((r) => r.id)}::uuid[],
      ${col((r) => r.decided_at.toISOString())}::timestamptz[], ${col((r) => r.kind)}::text[],
      ${col((r) => r.customer_id)}::uuid[], ${col((r) => r.subject_id)}::text[],
      ${col((r) => r.amount_minor)}::int8[], ${col((r) => r.decision)}::text[],
      ${col((r) => r.reason)}::text[], ${col((r) => r.version)}::int[],
      ${col((r) => list(r.rules_fired))}::text[],
      ${col((r) => r.shadow_version)}::int[], ${col((r) => r.shadow_decision)}::text[],
      ${col((r) => list(r.shadow_rules_fired))}::text[],
      ${col((r) => (r.signals === null ? null : JSON.stringify(r.signals)))}::text[])
      as d(id, decided_at, kind, customer_id, subject_id, amount_minor, decision, reason,
        version, rules_fired, shadow_version, shadow_decision, shadow_rules_fired, signals)`;
}

export interface Tally {
  minute: Date;
  kind: string;
  version: number;
  /** The version in shadow when the decisions were taken; 0 when none. */
  shadowVersion: number;
  count: number;
}

/** How a shadow version's decisions compare with the live ones since `from`. */
export async function shadowComparison(db: Db, version: number, from: Date, examplesMax: number) {
  const [[compared], changes, examples] = await Promise.all([
    db<{ compared: bigint }[]>`
      select (select count(*) from risk_decisions
              where shadow_version = ${version} and decided_at >= ${from})
        + coalesce((select sum(count) from risk_decision_tallies
              where shadow_version = ${version} and minute >= ${from}), 0) as compared`,
    db<{ live: string; shadow: string; count: bigint }[]>`
      select decision as live, shadow_decision as shadow, count(*)::int8 as count
      from risk_decisions
      where shadow_version = ${version} and decided_at >= ${from}
        and shadow_decision is distinct from decision
      group by 1, 2 order by 3 desc`,
    db<DecisionRow[]>`
      select * from risk_decisions
      where shadow_version = ${version} and decided_at >= ${from}
        and shadow_decision is distinct from decision
      order by decided_at desc limit ${examplesMax}`,
  ]);
  return { compared: compared!.compared, changes, examples };
}

/**
 * Shards of a tally row. A transaction adds its tallies to the lowest shard whose advisory
 * lock (transaction-level, tried, never waited for) it gets, so up to this many concurrent
 * transactions add to one minute's tally without waiting for each other's COMMIT; more pick
 * a shard by their backend and may wait. The table allows 64 (migration 0050).
 */
const TALLY_SHARDS = 16;

/**
 * Adds plain allows to the per-minute tallies (rows merged by the caller), in the shard this
 * transaction holds (TALLY_SHARDS); a second call in the same transaction takes the same one.
 */
export async function addTallies(tx: Db, rows: readonly Tally[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    insert into risk_decision_tallies (minute, kind, version, shadow_version, shard, count)
    select t.minute, t.kind, t.version, t.shadow_version, s.shard, t.count
    from unnest(${textArray(rows.map((r) => r.minute.toISOString()))}::timestamptz[],
      ${textArray(rows.map((r) => r.kind))}::text[], ${`{${rows.map((r) => r.version)}}`}::int[],
      ${`{${rows.map((r) => r.shadowVersion)}}`}::int[],
      ${`{${rows.map((r) => r.count)}}`}::int8[])
      as t(minute, kind, version, shadow_version, count)
    cross join (select coalesce(
      (select n from generate_series(0, ${TALLY_SHARDS - 1}::int) n
       where pg_try_advisory_xact_lock(hashtext('risk.decision_tallies'), n) limit 1),
      pg_backend_pid() % ${TALLY_SHARDS}::int)::int2 as shard) s
    order by 1, 2, 3, 4
    on conflict (minute, kind, version, shadow_version, shard) do update
      set count = risk_decision_tallies.count + excluded.count`;
}

export async function decisionCounts(
  db: Db,
  from: Date,
  to: Date,
): Promise<{ decision: string; reason: string | null; count: bigint }[]> {
  return db<{ decision: string; reason: string | null; count: bigint }[]>`
    select decision, reason, sum(n)::int8 as count from (
      select decision, reason, count(*) as n from risk_decisions
      where decided_at >= ${from} and decided_at < ${to} group by decision, reason
      union all
      select 'allow', null, sum(count) from risk_decision_tallies
      where minute >= ${from} and minute < ${to} having sum(count) > 0
    ) d
    group by decision, reason order by decision, reason`;
}

export async function recentDecisions(db: Db, from: Date, limit: number): Promise<DecisionRow[]> {
  return db<DecisionRow[]>`
    select * from risk_decisions where decided_at >= ${from}
    order by decided_at desc limit ${limit}`;
}

export async function setDecisionSubject(tx: Tx, id: string, subjectId: string): Promise<void> {
  await tx`update risk_decisions set subject_id = ${subjectId} where id = ${id}`;
}

// ---- Velocity (risk_velocity) ----

export interface VelocityBucket {
  key: string;
  resolution_seconds: number;
  bucket_start: Date;
  count: bigint;
  amount_minor: bigint;
}

/**
 * The buckets of the given keys, shards summed: a sparse key's minute buckets of the last
 * day; a dense key's minute buckets of the last hour and hour buckets of the last day.
 */
export async function velocityBuckets(
  db: Db,
  keys: { sparse: readonly string[]; dense: readonly string[] },
  from: { dayMinutesFrom: Date; hourMinutesFrom: Date; hoursFrom: Date },
): Promise<VelocityBucket[]> {
  if (keys.sparse.length + keys.dense.length === 0) return [];
  return db<VelocityBucket[]>`
    select key, resolution_seconds, bucket_start, count::int8 as count, amount_minor
    from risk_velocity
    where key = any(${textArray(keys.sparse)}::text[])
      and resolution_seconds = 60 and bucket_start >= ${from.dayMinutesFrom}
    union all
    select key, resolution_seconds, bucket_start, sum(count)::int8 as count,
           sum(amount_minor)::int8 as amount_minor
    from risk_velocity
    where key = any(${textArray(keys.dense)}::text[])
      and ((resolution_seconds = 60 and bucket_start >= ${from.hourMinutesFrom})
        or (resolution_seconds = 3600 and bucket_start >= ${from.hoursFrom}))
    group by key, resolution_seconds, bucket_start`;
}

export interface VelocityIncrement {
  key: string;
  resolutionSeconds: number;
  bucketStart: Date;
  shard: number;
  count: number;
  amountMinor: bigint;
}

/**
 * Adds increments (one row per key, resolution, bucket and shard: the caller merges them), in
 * key order, so two transactions touching the same rows lock them in the same order.
 */
export async function addVelocity(tx: Db, rows: readonly VelocityIncrement[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    insert into risk_velocity (key, resolution_seconds, bucket_start, shard, count, amount_minor)
    select * from unnest(${textArray(rows.map((r) => r.key))}::text[],
      ${`{${rows.map((r) => r.resolutionSeconds).join(',')}}`}::int[],
      ${textArray(rows.map((r) => r.bucketStart.toISOString()))}::timestamptz[],
      ${`{${rows.map((r) => r.shard).join(',')}}`}::int2[],
      ${`{${rows.map((r) => r.count).join(',')}}`}::int[],
      ${int8Array(rows.map((r) => r.amountMinor))}::int8[])
    order by 1, 2, 3, 4
    on conflict (key, resolution_seconds, bucket_start, shard) do update
      set count = risk_velocity.count + excluded.count,
          amount_minor = risk_velocity.amount_minor + excluded.amount_minor`;
}

/** Removes buckets older than the longest window; returns how many went. */
export async function pruneVelocity(db: Db, before: Date): Promise<number> {
  const r = await db`delete from risk_velocity where bucket_start < ${before}`;
  return r.count;
}

/** The home country's address ranges (risk_home_networks, migrations/0041). */
export async function homeNetworks(db: Db): Promise<{ first: string; last: string }[]> {
  return db<{ first: string; last: string }[]>`
    select host(first_address) as first, host(last_address) as last from risk_home_networks`;
}

/** Replaces the whole table with one load's ranges; returns how many were there before. */
export async function replaceHomeNetworks(
  tx: Tx,
  load: { country: string; registry: string; at: Date },
  ranges: readonly { first: string; last: string }[],
): Promise<number> {
  const gone = await tx`delete from risk_home_networks`;
  const firsts = ranges.map((r) => r.first);
  const lasts = ranges.map((r) => r.last);
  // Blocks of one file never repeat a start, but a hand-made file might: the first wins.
  await tx`
    insert into risk_home_networks (first_address, last_address, country, registry, loaded_at)
    select f::inet, l::inet, ${load.country}, ${load.registry}, ${load.at}
    from unnest(${textArray(firsts)}::text[], ${textArray(lasts)}::text[]) as r(f, l)
    on conflict (first_address) do nothing`;
  return gone.count;
}

export async function cardRanges(db: Db): Promise<CardRange[]> {
  return db<CardRange[]>`
    select bin_low as "binLow", bin_high as "binHigh", country, funding, brand
    from risk_card_ranges`;
}

/** Replaces the whole BIN table with one load's ranges; returns how many were there before. */
export async function replaceCardRanges(
  tx: Tx,
  at: Date,
  ranges: readonly CardRange[],
): Promise<number> {
  const gone = await tx`delete from risk_card_ranges`;
  const col = (f: (r: CardRange) => string) => textArray(ranges.map(f));
  await tx`
    insert into risk_card_ranges (bin_low, bin_high, country, funding, brand, loaded_at)
    select l, h, c, f, b, ${at}
    from unnest(${col((r) => r.binLow)}::text[], ${col((r) => r.binHigh)}::text[],
      ${col((r) => r.country)}::text[], ${col((r) => r.funding)}::text[],
      ${col((r) => r.brand)}::text[]) as r(l, h, c, f, b)`;
  return gone.count;
}

// The review queue (risk_reviews, migration 0030) and one review's decision.

export interface ReviewRow {
  id: string;
  kind: string;
  subject_id: string;
  /** The customer who asked for the held movement; none for a web shop's shopper. */
  customer_id: string | null;
  /** The merchant a held web payment is for (migration 0047); none for a top-up. */
  merchant_id: string | null;
  amount_minor: bigint;
  currency: string;
  decision_id: string;
  /** closed: ended without a decision (the hold expired, or the payment was canceled). */
  status: 'open' | 'approved' | 'declined' | 'closed';
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  note: string | null;
}

/** Inserts an open review; false when the subject already has one (subject_id is unique). */
export async function insertReview(tx: Tx, row: ReviewRow): Promise<boolean> {
  const inserted = await tx`
    insert into risk_reviews ${tx(row)}
    on conflict (subject_id) do nothing
    returning id`;
  return inserted.length === 1;
}

export async function reviewById(db: Db, id: string, lock = false): Promise<ReviewRow | undefined> {
  const [row] = lock
    ? await db<ReviewRow[]>`select * from risk_reviews where id = ${id} for update`
    : await db<ReviewRow[]>`select * from risk_reviews where id = ${id}`;
  return row;
}

export async function decideReview(
  tx: Tx,
  id: string,
  set: { status: 'approved' | 'declined'; decided_by: string; decided_at: Date; note: string },
): Promise<void> {
  await tx`update risk_reviews set ${tx(set)} where id = ${id} and status = 'open'`;
}

/** Closes the open review of a subject, if it has one; answers it, closed. */
export async function closeReview(
  tx: Tx,
  subjectId: string,
  set: { decided_at: Date; note: string },
): Promise<ReviewRow | undefined> {
  const [row] = await tx<ReviewRow[]>`
    update risk_reviews set status = 'closed', decided_at = ${set.decided_at}, note = ${set.note}
    where subject_id = ${subjectId} and status = 'open'
    returning *`;
  return row;
}

export interface ReviewFilter {
  status: ReviewRow['status'] | 'all';
  kind?: string | undefined;
  customerId?: string | undefined;
  /** Only reviews created after this one (a cursor: oldest first, by created_at then id). */
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Reviews oldest first: the queue is worked from the longest-waiting customer. */
export async function listReviews(db: Db, f: ReviewFilter): Promise<ReviewRow[]> {
  return db<ReviewRow[]>`
    select * from risk_reviews
    where (${f.status} = 'all' or status = ${f.status})
      and (${f.kind ?? null}::text is null or kind = ${f.kind ?? null})
      and (${f.customerId ?? null}::uuid is null or customer_id = ${f.customerId ?? null})
      and (${f.after?.createdAt ?? null}::timestamptz is null
           or (created_at, id) > (${f.after?.createdAt ?? null}, ${f.after?.id ?? ''}))
    order by created_at, id
    limit ${f.limit}`;
}

export interface DecisionDetail {
  id: string;
  decided_at: Date;
  kind: string;
  decision: string;
  reason: string | null;
  version: number;
  rules_fired: string[];
  shadow_version: number | null;
  shadow_decision: string | null;
  signals: Record<string, unknown> | null;
}

export async function decisionById(db: Db, id: string): Promise<DecisionDetail | undefined> {
  const [row] = await db<DecisionDetail[]>`
    select id, decided_at, kind, decision, reason, version, rules_fired, shadow_version,
           shadow_decision, signals
    from risk_decisions where id = ${id}`;
  return row;
}
