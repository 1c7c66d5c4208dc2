import { createHash } from 'node:crypto';
import type { RuleKind } from './engine.ts';
import type { VelocityBucket, VelocityIncrement } from './store.ts';
import {
  VELOCITY_DIMENSIONS,
  VELOCITY_WINDOWS,
  type Signals,
  type VelocityDimension,
} from './signals.ts';

// Velocity counters, kept in PostgreSQL (risk_velocity) so that every process counts the same
// attempts: count and yen per key in minute buckets and hour buckets, written in the
// transaction of the money movement they count and summed at read.
// - 1 hour: the current minute bucket and the 59 before it (59–60 minutes).
// - 1 day: the current minute bucket and the 1,439 before it; for the busy kinds of key
//   (source, store, terminal), which also keep hour buckets, the current hour bucket and
//   the 23 before it (23–24 hours). A customer, device or card has few active minutes a day,
//   so its day is a handful of rows, and it writes one row per attempt, not two.
// - 1 minute: a sliding estimate, the current minute plus the previous minute weighted by the
//   share of it still inside the window (rounded up), as rate limiters at the edge do.
// Keys are `<group>:<dimension>:<value>`: top-ups, payments, codes, card links and device
// confirmations count apart, and a payment also reads its customer's top-ups.

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

type Group = 'topup' | 'pay' | 'code' | 'link' | 'confirm';

const GROUP_OF: Record<RuleKind, Group> = {
  topup: 'topup',
  code_payment: 'pay',
  store_payment: 'pay',
  web_payment: 'pay',
  code_issue: 'code',
  card_link: 'link',
  device_confirm: 'confirm',
};

interface VelocitySubjects {
  /** Empty for a web payment, whose shopper is no Kinko customer. */
  customerId: string;
  deviceId?: string | undefined;
  cardFingerprint?: string | undefined;
  /** The source network (IPv4 /24 or IPv6 /64); absent for internal addresses. */
  sourcePrefix?: string | undefined;
  storeId?: string | undefined;
  terminalId?: string | undefined;
}

/** The keys an attempt is counted under, by dimension (customer_topup is read, not written). */
export function velocityKeys(
  kind: RuleKind,
  s: VelocitySubjects,
): Partial<Record<VelocityDimension, string>> {
  const g = GROUP_OF[kind];
  const keys: Partial<Record<VelocityDimension, string>> = {};
  if (s.customerId) keys.customer = `${g}:customer:${s.customerId}`;
  if (s.deviceId) keys.device = `${g}:device:${s.deviceId}`;
  if (s.cardFingerprint) keys.card = `${g}:card:${s.cardFingerprint}`;
  if (s.sourcePrefix) keys.source = `${g}:source:${s.sourcePrefix}`;
  if (s.storeId) keys.store = `${g}:store:${s.storeId}`;
  if (s.terminalId) keys.terminal = `${g}:terminal:${s.terminalId}`;
  if (g === 'pay' && s.customerId) keys.customer_topup = `topup:customer:${s.customerId}`;
  return keys;
}

const DENSE = new Set(['source', 'store', 'terminal']);
/** Whether a key keeps hour buckets (a busy kind: source, store, terminal). */
export const isDense = (key: string) => DENSE.has(key.split(':', 2)[1]!);

/** Where reads start: minute buckets of the last day (sparse keys) or hour (dense keys). */
export function readStarts(nowMs: number) {
  const minute = nowMs - (nowMs % MINUTE_MS);
  const hour = nowMs - (nowMs % HOUR_MS);
  return {
    dayMinutesFrom: new Date(minute - 1439 * MINUTE_MS),
    hourMinutesFrom: new Date(minute - 59 * MINUTE_MS),
    hoursFrom: new Date(hour - 23 * HOUR_MS),
  };
}

interface Totals {
  count: number;
  yen: bigint;
}

type Window = keyof typeof VELOCITY_WINDOWS;
const WINDOWS = Object.keys(VELOCITY_WINDOWS) as Window[];

/**
 * Each dimension's signal names, `<dimension>_count_<window>` and `<dimension>_yen_<window>`
 * in WINDOWS order, built once: a batch writes them for every attempt.
 */
const SIGNAL_NAMES: ReadonlyMap<string, readonly (readonly [string, string])[]> = new Map(
  VELOCITY_DIMENSIONS.map((d) => [d, WINDOWS.map((w) => [`${d}_count_${w}`, `${d}_yen_${w}`])]),
);

/** Per key: the totals of each window, from the buckets read. */
export class VelocityView {
  private readonly byKey = new Map<string, VelocityBucket[]>();
  /** What this process added since the read (earlier attempts of the same batch). */
  private readonly pending = new Map<string, { count: number; yen: bigint }>();

  constructor(
    buckets: readonly VelocityBucket[],
    private readonly nowMs: number,
  ) {
    for (const b of buckets) {
      const list = this.byKey.get(b.key);
      if (list) list.push(b);
      else this.byKey.set(b.key, [b]);
    }
  }

  /**
   * The buckets' sums per key, computed once per view: a batch's attempts at one store or
   * terminal all read that key, whose buckets (an hour of minutes and a day of hours, per
   * shard) would otherwise be summed again for every attempt.
   */
  private readonly summed = new Map<string, Record<Window, Totals>>();

  totals(key: string): Record<Window, Totals> {
    const base = this.summedOf(key);
    const out = { '1m': { ...base['1m'] }, '1h': { ...base['1h'] }, '1d': { ...base['1d'] } };
    const p = this.pending.get(key);
    if (p) for (const w of Object.values(out)) add(w, p.count, p.yen);
    return out;
  }

  /** What totals(key) gives, written straight into the signals `names` (SIGNAL_NAMES). */
  writeSignals(key: string, names: readonly (readonly [string, string])[], out: Signals): void {
    const base = this.summedOf(key);
    const p = this.pending.get(key);
    for (let i = 0; i < WINDOWS.length; i++) {
      const t = base[WINDOWS[i]!];
      const [count, yen] = names[i]!;
      out[count] = p ? t.count + p.count : t.count;
      out[yen] = Number(p ? t.yen + p.yen : t.yen);
    }
  }

  private summedOf(key: string): Record<Window, Totals> {
    let base = this.summed.get(key);
    if (!base) {
      base = this.sum(key);
      this.summed.set(key, base);
    }
    return base;
  }

  private sum(key: string): Record<Window, Totals> {
    const minute = this.nowMs - (this.nowMs % MINUTE_MS);
    const inMinute = (this.nowMs - minute) / MINUTE_MS;
    const out = { '1m': zero(), '1h': zero(), '1d': zero() };
    const dense = isDense(key);
    const hourFrom = minute - 59 * MINUTE_MS;
    for (const b of this.byKey.get(key) ?? []) {
      const start = b.bucket_start.getTime();
      const count = Number(b.count);
      if (b.resolution_seconds === 3600) {
        add(out['1d'], count, b.amount_minor);
        continue;
      }
      if (!dense) add(out['1d'], count, b.amount_minor);
      if (start < hourFrom) continue;
      add(out['1h'], count, b.amount_minor);
      if (start === minute) add(out['1m'], count, b.amount_minor);
      else if (start === minute - MINUTE_MS) {
        const share = 1 - inMinute;
        add(out['1m'], Math.ceil(count * share), ceilShare(b.amount_minor, share));
      }
    }
    return out;
  }

  /** Counts an attempt decided in this batch, so the next attempt sees it. */
  addPending(key: string, amount: bigint): void {
    const p = this.pending.get(key) ?? { count: 0, yen: 0n };
    p.count += 1;
    p.yen += amount;
    this.pending.set(key, p);
  }
}

const zero = (): Totals => ({ count: 0, yen: 0n });
const add = (t: Totals, count: number, yen: bigint) => {
  t.count += count;
  t.yen += yen;
};
/** amount × share, rounded up, in whole minor units (share in [0, 1], per mille). */
const ceilShare = (amount: bigint, share: number) => {
  const perMille = BigInt(Math.ceil(share * 1000));
  return (amount * perMille + 999n) / 1000n;
};

/** Writes the signals `<dimension>_count_<window>` and `<dimension>_yen_<window>`. */
export function velocitySignals(
  view: VelocityView,
  keys: Partial<Record<VelocityDimension, string>>,
  out: Signals,
): void {
  for (const [dim, key] of Object.entries(keys))
    view.writeSignals(key, SIGNAL_NAMES.get(dim)!, out);
}

/** The shard of an attempt: by customer, so one customer's rows stay together. */
export function shardOf(customerId: string, shards: number): number {
  return createHash('sha256').update(customerId).digest().readUInt16BE(0) % shards;
}

/** The rows one attempt adds: a minute and an hour bucket per key it is counted under. */
export function increments(
  keys: Partial<Record<VelocityDimension, string>>,
  amount: bigint,
  nowMs: number,
  shard: number,
): VelocityIncrement[] {
  const minute = new Date(nowMs - (nowMs % MINUTE_MS));
  const hour = new Date(nowMs - (nowMs % HOUR_MS));
  const out: VelocityIncrement[] = [];
  // Literal rows of one shape (no spreads): a batch makes several per attempt. A key's
  // dimension is the one it is stored under, so DENSE is asked about it directly.
  for (const [dim, key] of Object.entries(keys)) {
    if (dim === 'customer_topup') continue;
    // One customer's rows are only ever written by that customer: no shards needed.
    const dense = DENSE.has(dim);
    out.push(row(key, 60, minute, dense ? shard : 0, amount));
    if (dense) out.push(row(key, 3600, hour, shard, amount));
  }
  return out;
}

const row = (
  key: string,
  resolutionSeconds: number,
  bucketStart: Date,
  shard: number,
  amountMinor: bigint,
): VelocityIncrement => ({ key, resolutionSeconds, bucketStart, count: 1, shard, amountMinor });

/** Merges increments of one row (a batch's attempts at one store) into one. */
export function mergeIncrements(rows: readonly VelocityIncrement[]): VelocityIncrement[] {
  const merged = new Map<string, VelocityIncrement>();
  for (const r of rows) {
    const id = `${r.key}\n${r.resolutionSeconds}\n${r.bucketStart.getTime()}\n${r.shard}`;
    const m = merged.get(id);
    if (m) {
      m.count += r.count;
      m.amountMinor += r.amountMinor;
    } else merged.set(id, { ...r });
  }
  return [...merged.values()];
}
