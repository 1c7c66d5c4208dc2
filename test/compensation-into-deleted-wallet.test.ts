import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import * as seed from './helpers/scope-seed.ts';
import { accountIdFor } from '../src/payments/index.ts';

// A takeover victim who deleted the account (a natural thing to do after a takeover) is
// still in the incident's scope. Approved compensation credited the deleted wallet, which no
// one can sign in to, spend or have paid out: the money was lost to the victim and the
// incident showed the victim compensated. Deleted accounts are counted, not credited.

test('compensation leaves a deleted account out and says how many', async () => {
  const h = await harness();
  try {
    const sql = h.db.owner;
    const { a, b } = await seed.takeoverWave(sql);
    const first = await signedInOperator(h, 1, 'risk_analyst');
    const second = await signedInOperator(h, 2, 'security_admin');
    const call = (headers: Record<string, string>, url: string, payload: object) =>
      h.app.inject({ method: 'POST', url, headers, payload });
    const opened = await call(first.headers, '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'critical',
      summary: 'Top-ups and payments from new devices',
    });
    const inc = `/v1/operator/incidents/${opened.json().id as string}`;
    await call(first.headers, `${inc}/scopes`, {
      from: '2026-04-01T10:00:00Z',
      to: '2026-04-01T12:00:00Z',
      ip_ranges: ['203.0.113.0/24'],
    });
    const proposed = (await call(first.headers, `${inc}/compensations`, {})).json();
    assert.equal(proposed.total_minor, '75000');
    // a deletes the account before the compensation is approved.
    await sql`update identity_customers set status = 'deleted', email = ${`deleted:${a}`},
      phone = ${`deleted:${a}`} where id = ${a}`;
    const ok = await call(second.headers, `${inc}/compensations/${proposed.proposal}/approve`, {});
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      proposal: proposed.proposal,
      posted: 1,
      posted_minor: '45000',
      already_posted: 0,
      closed_accounts: 1,
    });
    const wallet = async (id: string) => {
      const [acc] = await h.modules.ledger.lookupAccounts([
        accountIdFor('customer_wallet', id, 'JPY'),
      ]);
      return acc ? acc.creditsPosted - acc.debitsPosted : 0n;
    };
    assert.equal(await wallet(b), 45_000n);
    const credits = await sql<{ n: number }[]>`
      select count(*)::int as n from ledger_transfers
      where credit_account_id = ${accountIdFor('customer_wallet', a, 'JPY')}::uuid and code = 401`;
    assert.equal(credits[0]?.n, 0, 'nothing credited to the deleted wallet');
  } finally {
    await h.close();
  }
});
