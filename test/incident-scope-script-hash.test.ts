import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Sql } from '../src/db/index.ts';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import * as seed from './helpers/scope-seed.ts';

// Scope from a skimmer's script hash. The page monitor recorded which payment pages ran the
// script and when; a scope run with the hash finds those pages, the window the script was
// served in (from the last load without it to the first load without it again) and the
// web-shop card payments made on those merchants in that window — and nothing before it,
// after it, or at a merchant whose pages never ran it. A script seen on Kinko's own hosted
// card fields reaches every merchant's payments.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

async function watchedPage(
  sql: Sql,
  p: { id: string; merchantId: string | null; kind: string; url: string },
) {
  await sql`insert into pagewatch_pages (id, merchant_id, kind, url, status, created_at,
    next_check_at) values (${p.id}, ${p.merchantId}, ${p.kind}, ${p.url}, 'active',
    ${T('08:00')}, ${T('08:00')})`;
}

/** A script window as the monitor leaves it (pagewatch/store.ts recordScripts). */
async function served(
  sql: Sql,
  w: {
    pageId: string;
    sha256: Buffer;
    first: string;
    last: string;
    before: string;
    after?: string;
  },
) {
  const obs = `pgobs_${randomBytes(12).toString('base64url')}`;
  await sql`insert into pagewatch_observations (id, page_id, observed_at, outcome, inventory,
    inventory_hash) values (${obs}, ${w.pageId}, ${T(w.last)}, 'loaded', '{}'::jsonb,
    ${randomBytes(32)})`;
  await sql`insert into pagewatch_scripts (page_id, sha256, url, first_seen_at, last_seen_at,
    absent_before_at, absent_after_at, last_observation_id) values (${w.pageId}, ${w.sha256},
    'https://cdn.evil.example/s.js', ${T(w.first)}, ${T(w.last)}, ${T(w.before)},
    ${w.after ? T(w.after) : null}, ${obs})`;
}

test('a script hash reaches the pages that ran it and the payments in its window', async () => {
  const h = await harness();
  try {
    const sql = h.db.owner;
    const skimmer = randomBytes(32);
    const onKinko = randomBytes(32);
    await watchedPage(sql, {
      ...{ id: 'page_shopAAAAAAAAAAAAAAAA', merchantId: 'mer_shopA' },
      ...{ kind: 'checkout', url: 'https://a.example/checkout' },
    });
    await watchedPage(sql, {
      ...{ id: 'page_kinkoAAAAAAAAAAAAAAA', merchantId: null },
      ...{ kind: 'hosted_fields', url: 'https://pay.kinko.example/hosted/fields' },
    });
    await served(sql, {
      ...{ pageId: 'page_shopAAAAAAAAAAAAAAAA', sha256: skimmer },
      ...{ before: '10:00', first: '10:05', last: '10:30', after: '10:35' },
    });
    await served(sql, {
      ...{ pageId: 'page_kinkoAAAAAAAAAAAAAAA', sha256: onKinko },
      ...{ before: '11:00', first: '11:05', last: '11:05' },
    });
    const who = await seed.customer(sql, T('08:00'));
    const card = await seed.card(sql, {
      brand: 'visa',
      bin: '411111',
      last4: '1111',
      customerId: who,
    });
    const pay = (merchantId: string, at: string) =>
      seed.webPayment(sql, { merchantId, card, yen: 1_000, at: T(at) });
    const before = await pay('mer_shopA', '09:55');
    const early = await pay('mer_shopA', '10:02');
    const during = await pay('mer_shopA', '10:20');
    const after = await pay('mer_shopA', '10:40');
    const elsewhere = await pay('mer_shopB', '10:20');
    const kinkoLater = await pay('mer_shopB', '11:30');

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const headers = analyst.headers;
    const opened = await h.app.inject({
      method: 'POST',
      url: '/v1/operator/incidents',
      headers,
      payload: { title: 'Skimmer on a checkout', severity: 'critical', summary: 'Magecart' },
    });
    const base = `/v1/operator/incidents/${opened.json().id}/scopes`;
    const run = async (hashes: string[]) => {
      const res = await h.app.inject({
        method: 'POST',
        url: base,
        headers,
        payload: {
          from: '2026-04-01T09:00:00Z',
          to: '2026-04-01T12:00:00Z',
          script_hashes: hashes,
        },
      });
      assert.equal(res.statusCode, 201, res.body);
      const items = await sql<{ item_id: string }[]>`select item_id from incidents_scope_items
        where scope_id = ${res.json().scope.id} order by item_id`;
      return { scope: res.json().scope, items: items.map((i) => i.item_id).sort() };
    };

    // The SRI form a page's integrity attribute carries.
    const first = await run([`sha256-${skimmer.toString('base64')}`]);
    assert.deepEqual(first.items, [early, during].sort());
    assert.ok(![before, after, elsewhere].some((id) => first.items.includes(id)));
    assert.equal(first.scope.totals.web_payments, 2);
    const [w] = first.scope.totals.script_windows;
    assert.equal(first.scope.totals.script_windows.length, 1);
    assert.equal(w.page_id, 'page_shopAAAAAAAAAAAAAAAA');
    assert.equal(w.url, 'https://a.example/checkout');
    assert.equal(new Date(w.served_from).toISOString(), T('10:00').toISOString());
    assert.equal(new Date(w.served_to).toISOString(), T('10:35').toISOString());

    // Hex, as the monitor's alert shows it: Kinko's hosted fields reach every merchant.
    const second = await run([onKinko.toString('hex')]);
    assert.deepEqual(second.items, [kinkoLater]);
    assert.equal(second.scope.totals.script_windows[0].served_to, null, 'still served');
  } finally {
    await h.close();
  }
});
