import { isIPv4, isIPv6 } from 'node:net';
import type { Sql } from '../db/index.ts';
import { publicId } from '../lib/ids.ts';
import * as store from './store.ts';
import type { IncidentActor, IncidentDeps } from './timeline.ts';
import { appendTimeline } from './timeline.ts';
import { incidentsError } from './errors.ts';

// Scope: from indicators to who and what an incident touched. The statements are in
// store.ts; this file checks the indicators, runs the parts in one transaction, saves the run
// with its totals and tells the incident's timeline.
//
// What each indicator reaches, inside the time window:
// - sources (IP ranges), sessions, devices, customers → sign-ins ("logged in from");
// - the devices of those sign-ins, devices and customers given, and cards (fingerprint, BIN,
//   brand) → top-ups ("topped up");
// - those devices, customers, merchants, stores and terminals → wallet payments ("paid");
// - merchants and cards → web-shop card payments ("paid");
// - script hashes → the payment pages the page monitor saw running them and the window each
//   was served in (saved with the run's totals as `script_windows`), and the web-shop card
//   payments made on those pages' merchants in those windows (every merchant's, for Kinko's
//   own hosted-field and challenge pages). The monitor keeps SHA-256: a sha384 or sha512
//   indicator is kept with the run but matches nothing.

export const SCOPE_INDICATORS_MAX = 1000;
/** Page windows saved with a run; the payments they reach are counted in full. */
const SCRIPT_WINDOWS_SAVED_MAX = 200;
const SCOPE_WINDOW_DAYS_MAX = 366;

export interface Indicators {
  from: string;
  to: string;
  ip_ranges?: string[];
  device_ids?: string[];
  session_ids?: string[];
  customer_ids?: string[];
  card_fingerprints?: string[];
  card_bins?: string[];
  card_brands?: string[];
  merchant_ids?: string[];
  store_ids?: string[];
  terminal_ids?: string[];
  script_hashes?: string[];
}

/** `203.0.113.0/24`, `2001:db8::/32` or one address; the prefix within the family's bits. */
function isCidr(range: string): boolean {
  const [address, prefix, ...rest] = range.split('/');
  if (rest.length > 0 || !address) return false;
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
  if (bits === 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= bits;
}

/**
 * A script hash as the monitor keeps it (SHA-256, hex), from an SRI value (`sha256-…`, as a
 * page's integrity attribute or the monitor's alert shows it) or hex; null for sha384/512.
 */
function sha256Hex(indicator: string): string | null {
  if (/^[0-9a-f]{64}$/.test(indicator)) return indicator;
  if (!indicator.startsWith('sha256-')) return null;
  const bytes = Buffer.from(indicator.slice('sha256-'.length), 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

/** The indicators as the statements take them; a named error for what a schema cannot see. */
function scopeParams(i: Indicators): store.ScopeParams {
  const from = new Date(i.from);
  const to = new Date(i.to);
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (!(days > 0 && days <= SCOPE_WINDOW_DAYS_MAX)) {
    throw incidentsError('scope_window_invalid', { param: 'to' });
  }
  const ipRanges = i.ip_ranges ?? [];
  const bad = ipRanges.find((r) => !isCidr(r));
  if (bad !== undefined) {
    throw incidentsError('scope_indicator_invalid', {
      message: `${JSON.stringify(bad)} is not an IP address or range.`,
      param: 'ip_ranges',
    });
  }
  return {
    ...{ from, to, ipRanges, deviceIds: i.device_ids ?? [], sessionIds: i.session_ids ?? [] },
    ...{ customerIds: i.customer_ids ?? [], fingerprints: i.card_fingerprints ?? [] },
    ...{ bins: i.card_bins ?? [], brands: i.card_brands ?? [] },
    ...{ merchantIds: i.merchant_ids ?? [], storeIds: i.store_ids ?? [] },
    terminalIds: i.terminal_ids ?? [],
    scriptHashes: (i.script_hashes ?? []).map(sha256Hex).filter((h): h is string => h !== null),
  };
}

interface ScopeRunDeps extends IncidentDeps {
  sql: Sql;
}

/**
 * Runs the scope for an incident and saves it as its next run, with a `scope.run` event on
 * the timeline; returns the saved run. Runs again later save new runs; none is changed.
 */
export async function runScope(
  deps: ScopeRunDeps,
  r: { incidentId: string; indicators: Indicators; actor: IncidentActor },
): Promise<store.ScopeRow> {
  const params = scopeParams(r.indicators);
  const started = deps.clock.nowMs();
  const wallStarted = performance.now();
  return deps.sql.begin(async (tx) => {
    if (!(await store.lockIncident(tx, r.incidentId))) {
      throw incidentsError('incident_not_found', { param: 'id' });
    }
    const id = publicId('scope', 16);
    await store.runScopeItems(tx, id, params);
    const totals = await store.scopeTotals(tx, id);
    const scriptHashes = r.indicators.script_hashes ?? [];
    const windows = await store.scriptWindows(tx, params, SCRIPT_WINDOWS_SAVED_MAX);
    const row: store.ScopeRow = {
      id,
      incident_id: r.incidentId,
      run: await store.nextScopeRun(tx, r.incidentId),
      indicators: { ...r.indicators },
      totals: { ...totals, ...(scriptHashes.length > 0 ? { script_windows: windows } : {}) },
      ran_at: new Date(started),
      ran_by: r.actor.id ?? null,
      elapsed_ms: Math.round(performance.now() - wallStarted),
    };
    await store.insertScope(tx, row);
    await appendTimeline(tx, deps, r.incidentId, {
      kind: 'scope.run',
      summary:
        `Scope run ${row.run}: ${totals.customers} customers, ${totals.cards} cards, ` +
        `${totals.topups} top-ups (¥${totals.topup_minor}), ${totals.payments} payments ` +
        `(¥${totals.payment_minor}), ${totals.merchants} merchants.`,
      ref: { type: 'scope', id },
      actor: r.actor,
      detail: { run: row.run, totals },
    });
    return row;
  });
}
