import { bearer, DrillError, expectStatus, totp, type Http } from './drill-http.ts';
import type { World } from './drill-wave.ts';

// The security team's side of the drill, scripted: two security admins signed in to the
// operator API, watching for an incident that a detector opened, then doing what the runbook
// says — suspend top-ups and new devices for the incident, mark it contained, scope it from
// the networks the detector named, notify, compensate (one proposes, the other approves) and
// pull the reports. Each action a person would take counts as REACTION_MS of simulated time.

/** Simulated time an operator takes for one action on the console (reading, deciding). */
const REACTION_MS = 15_000;

export interface Operator {
  id: string;
  token: string;
}

export async function signInOperator(w: World, n: number): Promise<Operator> {
  const email = `drill-security${n}@kinko.example`;
  const password = `drill operator passphrase ${n}`;
  const made = await w.modules.identity.createOperator({
    email,
    name: `Drill security ${n}`,
    role: 'security_admin',
    password,
  });
  const login = await w.http.call('POST', '/v1/operator/login', {
    body: { email, password, totp_code: totp(made.totpSecret, w.clock)() },
    ip: `10.250.0.${n}`,
  });
  expectStatus(login, 200, 'operator sign-in');
  return { id: made.operatorId, token: login.body['session_token'] as string };
}

export interface Detection {
  incidentId: string;
  detector: string;
  title: string;
  openedAt: Date;
}

/**
 * The first open incident a detector raised, after running the detector jobs; or null. The
 * second operator's console is open too (its session stays alive for the approvals).
 */
export async function findIncident(
  w: World,
  ops: [Operator, Operator],
  checkRiskSpike: () => Promise<unknown>,
): Promise<Detection | null> {
  const [op, second] = ops;
  await checkRiskSpike();
  const me = await w.http.call('GET', '/v1/operator/me', { headers: bearer(second.token) });
  expectStatus(me, 200, 'second operator console');
  const list = await w.http.call('GET', '/v1/operator/incidents?status=open', {
    headers: bearer(op.token),
  });
  expectStatus(list, 200, 'incident list');
  const rows = (list.body['data'] ?? []) as Array<Record<string, string>>;
  const found = rows.find((r) => r['detector']);
  if (!found) return null;
  return {
    incidentId: found['id']!,
    detector: found['detector']!,
    title: found['title']!,
    openedAt: new Date(found['opened_at']!),
  };
}

/** Both consoles stay open while the wave goes on (sessions end after 15 idle minutes). */
export async function keepAlive(w: World, ops: [Operator, Operator]): Promise<void> {
  for (const op of ops) {
    const me = await w.http.call('GET', '/v1/operator/me', { headers: bearer(op.token) });
    expectStatus(me, 200, 'operator console');
  }
}

/** Suspends top-ups and new devices for the incident; marks it contained. */
export async function contain(w: World, op: Operator, incidentId: string): Promise<Date> {
  w.clock.advanceMs(REACTION_MS);
  const containedAt = w.clock.now();
  for (const operation of ['topups', 'new_devices']) {
    const on = await w.http.call('POST', '/v1/operator/switches', {
      headers: bearer(op.token),
      body: {
        operation,
        reason: 'Account takeover wave: drill containment',
        incident_id: incidentId,
      },
    });
    expectStatus(on, 201, `switch ${operation}`);
  }
  w.clock.advanceMs(REACTION_MS);
  const status = await w.http.call('POST', `/v1/operator/incidents/${incidentId}/status`, {
    headers: bearer(op.token),
    body: { to: 'contained', reason: 'Top-ups and new devices suspended' },
  });
  expectStatus(status, 200, 'incident contained');
  return containedAt;
}

/** The attacker's networks as the stuffing detector named them (source prefixes). */
export async function attackerNetworks(w: World, op: Operator): Promise<string[]> {
  const res = await w.http.call('GET', '/v1/operator/stuffing-detections', {
    headers: bearer(op.token),
  });
  expectStatus(res, 200, 'stuffing detections');
  const rows = (res.body['data'] ?? res.body['detections'] ?? []) as Array<Record<string, string>>;
  return [...new Set(rows.map((r) => r['source_prefix']!).filter(Boolean))].sort();
}

interface Scoped {
  customers: number;
  topupYen: string;
  paymentYen: string;
}

export async function scope(
  w: World,
  op: Operator,
  r: { incidentId: string; from: Date; to: Date; networks: string[] },
): Promise<Scoped> {
  if (r.networks.length === 0) throw new DrillError('no attacker network to scope from');
  w.clock.advanceMs(REACTION_MS);
  const res = await w.http.call('POST', `/v1/operator/incidents/${r.incidentId}/scopes`, {
    headers: bearer(op.token),
    body: { from: r.from.toISOString(), to: r.to.toISOString(), ip_ranges: r.networks },
  });
  expectStatus(res, 201, 'scope run');
  const run = (res.body['scope'] ?? {}) as { totals?: Record<string, unknown> };
  const totals = run.totals ?? {};
  return {
    customers: Number(totals['customers'] ?? 0),
    topupYen: String(totals['topup_minor'] ?? '0'),
    paymentYen: String(totals['payment_minor'] ?? '0'),
  };
}

export async function notify(w: World, op: Operator, incidentId: string) {
  w.clock.advanceMs(REACTION_MS);
  const res = await w.http.call('POST', `/v1/operator/incidents/${incidentId}/notices`, {
    headers: bearer(op.token),
    body: { contact: 'Kinko security desk 0120-000-000 (drill)' },
  });
  expectStatus(res, 201, 'notices');
  await w.deliver();
  return { email: Number(res.body['email'] ?? 0), sms: Number(res.body['sms'] ?? 0) };
}

export async function compensate(
  w: World,
  ops: [Operator, Operator],
  incidentId: string,
): Promise<{ lostYen: string; compensatedYen: string; customers: number }> {
  const base = `/v1/operator/incidents/${incidentId}/compensations`;
  w.clock.advanceMs(REACTION_MS);
  const p = await w.http.call('POST', base, { headers: bearer(ops[0].token), body: {} });
  expectStatus(p, 201, 'compensation proposal');
  w.clock.advanceMs(REACTION_MS);
  const a = await w.http.call('POST', `${base}/${String(p.body['proposal'])}/approve`, {
    headers: bearer(ops[1].token),
    body: {},
  });
  expectStatus(a, 200, 'compensation approval (second operator)');
  await w.deliver();
  return {
    lostYen: String(p.body['total_minor']),
    compensatedYen: String(a.body['posted_minor']),
    customers: ((p.body['items'] ?? []) as unknown[]).length,
  };
}

export async function reports(w: World, op: Operator, incidentId: string): Promise<string[]> {
  const got: string[] = [];
  for (const kind of ['ppc_preliminary', 'card_brand', 'public_notice']) {
    const res = await w.http.call('GET', `/v1/operator/incidents/${incidentId}/reports/${kind}`, {
      headers: bearer(op.token),
    });
    expectStatus(res, 200, `report ${kind}`);
    got.push(kind);
  }
  return got;
}
