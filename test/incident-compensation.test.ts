import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import * as seed from './helpers/scope-seed.ts';
import { accountIdFor } from '../src/payments/index.ts';

// Compensation of an incident's customers: proposed from the latest scope run by one
// operator, refused when the same operator approves it, posted once when a second one does,
// and never again however often it is approved. The incident shows compensated against lost.

test('compensation is approved by a second operator and posted exactly once', async () => {
  const h = await harness();
  try {
    const sql = h.db.owner;
    const { a, b } = await seed.takeoverWave(sql);

    const first = await signedInOperator(h, 1, 'risk_analyst');
    const second = await signedInOperator(h, 2, 'security_admin');
    const support = await signedInOperator(h, 3, 'support');
    const call = (
      headers: Record<string, string>,
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) => h.app.inject(payload ? { method, url, headers, payload } : { method, url, headers });
    const opened = await call(first.headers, 'POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'critical',
      summary: 'Top-ups and payments from new devices',
    });
    const incidentId = opened.json().id as string;
    const inc = `/v1/operator/incidents/${incidentId}`;
    await call(first.headers, 'POST', `${inc}/scopes`, {
      from: '2026-04-01T10:00:00Z',
      to: '2026-04-01T12:00:00Z',
      ip_ranges: ['203.0.113.0/24'],
    });

    assert.equal((await call(support.headers, 'POST', `${inc}/compensations`, {})).statusCode, 403);
    const proposed = await call(first.headers, 'POST', `${inc}/compensations`, {});
    assert.equal(proposed.statusCode, 201, proposed.body);
    const p = proposed.json();
    // a topped up ¥30,000 and spent ¥25,000 of it: lost ¥30,000; b paid ¥45,000.
    assert.equal(p.total_minor, '75000');
    assert.deepEqual(
      p.items.map((i: { customer_id: string; amount_minor: string }) => [
        i.customer_id,
        i.amount_minor,
      ]),
      [
        [a, '30000'],
        [b, '45000'],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    const approve = `${inc}/compensations/${p.proposal}/approve`;
    const self = await call(first.headers, 'POST', approve, {});
    assert.equal(self.json().error.code, 'compensation_needs_second_operator');
    const wallet = async (id: string) => {
      const [acc] = await h.modules.ledger.lookupAccounts([
        accountIdFor('customer_wallet', id, 'JPY'),
      ]);
      return acc ? acc.creditsPosted - acc.debitsPosted : 0n;
    };
    assert.equal(await wallet(b), 0n, 'nothing posted before a second operator approves');

    const ok = await call(second.headers, 'POST', approve, {});
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      proposal: p.proposal,
      posted: 2,
      posted_minor: '75000',
      already_posted: 0,
      closed_accounts: 0,
    });
    const again = await call(second.headers, 'POST', approve, {});
    assert.deepEqual(again.json(), {
      proposal: p.proposal,
      posted: 0,
      posted_minor: '0',
      already_posted: 2,
      closed_accounts: 0,
    });
    // A new proposal of the same scope, approved, credits nobody a second time.
    const p2 = (await call(second.headers, 'POST', `${inc}/compensations`, {})).json();
    const ok2 = await call(
      first.headers,
      'POST',
      `${inc}/compensations/${p2.proposal}/approve`,
      {},
    );
    assert.equal(ok2.json().posted, 0);
    assert.equal(await wallet(b), 45_000n);
    // The chart of codes ARCHITECTURE.md lists: transfer code 401 out of account code 20.
    const codes = await sql<{ transfer_code: number; account_code: number }[]>`
      select t.code as transfer_code, a.code as account_code
      from ledger_transfers t join ledger_accounts a on a.id = t.debit_account_id
      where t.credit_account_id = ${accountIdFor('customer_wallet', b, 'JPY')}::uuid`;
    assert.deepEqual([...codes], [{ transfer_code: 401, account_code: 20 }]);

    const [row] = await sql<{ email: string }[]>`
      select email from identity_customers where id = ${b}`;
    const told = await h.mailbox(row!.email);
    assert.equal(told.length, 1, 'told once, however often approved');
    assert.match(told[0]!.text, /¥45,000/);
    const totals = await call(support.headers, 'GET', `${inc}/compensations`);
    assert.deepEqual(totals.json(), {
      lost_minor: '75000',
      compensated_minor: '75000',
      proposals: 2,
    });
    const view = (await call(support.headers, 'GET', inc)).json();
    const kinds = view.timeline.map((e: { kind: string }) => e.kind);
    assert.equal(kinds.filter((k: string) => k === 'compensation.posted').length, 3);
    assert.equal(
      (await call(first.headers, 'POST', `${inc}/compensations/999999/approve`, {})).json().error
        .code,
      'compensation_not_found',
    );
  } finally {
    await h.close();
  }
});
