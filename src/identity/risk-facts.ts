import type { Db } from '../db/index.ts';
import type { Deps } from './context.ts';
import { isUuid } from '../lib/ids.ts';
import * as store from './store.ts';
import { sourcePrefix } from './throttle.ts';

// What identity tells the risk engine about a batch of attempts, read in one statement:
// each customer's last security change, each device's confirmation time and how many
// accounts its key was registered on, and each source network's failed sign-ins in the
// current throttle window (of at most an hour), and how many accounts signed in from each
// source network in the last day (sessions begun there).

export interface IdentityRiskFacts {
  /** The last password, contact or factor change; null when there was none. */
  securityChangeAt(customerId: string): Date | null;
  /** When the device was confirmed (or registered, while pending) and its key's accounts. */
  device(deviceId: string): { boundAt: Date; accounts: number } | null;
  /** Failed sign-ins from the address's network in the current window (0 when none). */
  sourceFailures(ip: string): number;
  /** Distinct accounts signed in from the address's network in the last day (0 when none). */
  sourceAccounts(ip: string): number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export async function riskFacts(
  deps: Pick<Deps, 'clock'>,
  db: Db,
  q: { customerIds: readonly string[]; deviceIds: readonly string[]; sourceIps: readonly string[] },
): Promise<IdentityRiskFacts> {
  const uuids = (xs: readonly string[]) => [...new Set(xs.filter(isUuid))];
  const rows = await store.riskFacts(db, {
    customerIds: uuids(q.customerIds),
    deviceIds: uuids(q.deviceIds),
    sourceBuckets: [...new Set(q.sourceIps.map(sourcePrefix))],
    since: new Date(deps.clock.nowMs() - DAY_MS),
  });
  const customers = new Map<string, Date | null>();
  const devices = new Map<string, { boundAt: Date; accounts: number }>();
  const sources = new Map<string, number>();
  const accounts = new Map<string, number>();
  const since = deps.clock.nowMs() - HOUR_MS;
  for (const r of rows) {
    if (r.what === 'customer') customers.set(r.key, r.at);
    else if (r.what === 'device' && r.at) devices.set(r.key, { boundAt: r.at, accounts: r.n ?? 1 });
    else if (r.what === 'source' && r.at && r.at.getTime() >= since) sources.set(r.key, r.n ?? 0);
    else if (r.what === 'accounts') accounts.set(r.key, r.n ?? 0);
  }
  return {
    securityChangeAt: (id) => customers.get(id) ?? null,
    device: (id) => devices.get(id) ?? null,
    sourceFailures: (ip) => sources.get(sourcePrefix(ip)) ?? 0,
    sourceAccounts: (ip) => accounts.get(sourcePrefix(ip)) ?? 0,
  };
}
