import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { ORIGIN, withMailbox, type Harness } from './identity-harness.ts';
import { signedInOperator, type SignedInOperator } from './operators.ts';
import { testPlatform } from './platform.ts';
import * as seed from './scope-seed.ts';

// An incident whose latest scope run names real vault cards (tokenized, sealed), for the
// card export's tests: two top-ups from a takeover network, two security admins, a support
// operator, and a risk analyst.

export const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

/** Test numbers of three brands; the export must hold exactly these, with their expiry. */
export const EXPORT_PANS = [
  { pan: '4012888888881881', brand: 'visa', expMonth: 7, expYear: 2029 },
  { pan: '5105105105105100', brand: 'mastercard', expMonth: 11, expYear: 2030 },
  { pan: '3530111333300000', brand: 'jcb', expMonth: 1, expYear: 2031 },
] as const;

export interface ExportIncident {
  h: Harness;
  incidentId: string;
  base: string;
  first: SignedInOperator;
  second: SignedInOperator;
  support: SignedInOperator;
  analyst: SignedInOperator;
  call(
    who: SignedInOperator,
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
  ): Promise<Awaited<ReturnType<Harness['app']['inject']>>>;
}

export async function exportIncident(): Promise<ExportIncident> {
  const h = withMailbox(await testPlatform({ publicOrigin: ORIGIN, logLevel: 'trace' }));
  const sql = h.db.owner;
  for (const [k, c] of EXPORT_PANS.entries()) {
    const customerId = await seed.customer(sql, T('08:00'));
    const deviceId = randomUUID();
    const card = await h.modules.card.vault.tokenize({
      number: c.pan,
      expMonth: c.expMonth,
      expYear: c.expYear,
      customerId,
      actor: { type: 'system' },
    });
    const [row] = await sql<{ f: string }[]>`
      select encode(fingerprint, 'hex') as f from vault_cards where token = ${card.token}`;
    const at = T(`10:1${k}`);
    await seed.signIn(sql, { customerId, deviceId, ip: `203.0.113.${10 + k}`, at });
    const seedCard = { token: card.token, fingerprint: row!.f };
    await seed.topup(sql, { customerId, deviceId, card: seedCard, yen: 30_000, at });
  }
  const first = await signedInOperator(h, 1, 'security_admin');
  const second = await signedInOperator(h, 2, 'security_admin');
  const support = await signedInOperator(h, 3, 'support');
  const analyst = await signedInOperator(h, 4, 'risk_analyst');
  const call: ExportIncident['call'] = (who, method, url, payload) =>
    h.app.inject(
      payload
        ? { method, url, headers: who.headers, payload }
        : { method, url, headers: who.headers },
    );
  const opened = await call(first, 'POST', '/v1/operator/incidents', {
    title: 'Card top-ups from a takeover network',
    severity: 'critical',
    summary: 'Top-ups with linked cards from new devices on one network',
  });
  assert.equal(opened.statusCode, 201, opened.body);
  const incidentId = opened.json().id as string;
  const inc = `/v1/operator/incidents/${incidentId}`;
  const scoped = await call(first, 'POST', `${inc}/scopes`, {
    from: '2026-04-01T10:00:00Z',
    to: '2026-04-01T12:00:00Z',
    ip_ranges: ['203.0.113.0/24'],
  });
  assert.equal(scoped.statusCode, 201, scoped.body);
  return { h, incidentId, base: `${inc}/card-exports`, first, second, support, analyst, call };
}
