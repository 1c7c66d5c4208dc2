import type { Deps } from './context.ts';
import * as store from './store.ts';

// A customer's recent activity for an operator deciding a review: the last sign-ins (with
// their network and strong factor), the devices bound, and the security changes (recovery,
// contact change, a factor added), newest first. Read-only; the caller audits the viewing.

/** How many of each kind the page lists: enough to see a takeover, small to read. */
const ACTIVITY_ROWS_MAX = 10;

export interface CustomerActivity {
  sign_ins: {
    at: string;
    source_ip: string | null;
    device_id: string | null;
    strong_factor: string | null;
    ended_at: string | null;
  }[];
  devices: {
    id: string;
    name: string;
    status: string;
    added_at: string;
    confirmed_at: string | null;
  }[];
  security_changes: { kind: string; at: string; source_ip: string | null }[];
}

export async function recentActivity(deps: Deps, customerId: string): Promise<CustomerActivity> {
  const a = await store.activityOf(deps.sql, customerId, ACTIVITY_ROWS_MAX);
  return {
    sign_ins: a.sessions.map((s) => ({
      at: s.created_at.toISOString(),
      source_ip: s.source_ip,
      device_id: s.device_id,
      strong_factor: s.strong_auth_factor,
      ended_at: s.revoked_at?.toISOString() ?? null,
    })),
    devices: a.devices.map((d) => ({
      id: d.id,
      name: d.name,
      status: d.status,
      added_at: d.created_at.toISOString(),
      confirmed_at: d.confirmed_at?.toISOString() ?? null,
    })),
    security_changes: a.changes.map((c) => ({
      kind: c.kind,
      at: c.at.toISOString(),
      source_ip: c.source_ip,
    })),
  };
}
