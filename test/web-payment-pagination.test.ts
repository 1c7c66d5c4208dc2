import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  get,
  ok,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// Lists are newest first, paged with id cursors: starting_after (older) and ending_before
// (newer), with has_more; filters by status and creation time.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('25 payments in pages of 10, both directions, with filters', async () => {
  const s = await shop(h);
  const ids: string[] = [];
  const startSeconds = Math.floor(h.api.clock.nowMs() / 1000);
  for (let i = 0; i < 25; i++) {
    const p = await ok(h, s, '/v1/payments', { amount: 100 + i, currency: 'JPY' });
    ids.push(String(p['id']));
    h.api.clock.advanceMs(1000);
  }
  const newest = [...ids].reverse();
  const page = async (q: string) => (await get(h, s, `/v1/payments?${q}`)).json();
  const p1 = await page('limit=10');
  assert.deepEqual(
    p1.data.map((p: { id: string }) => p.id),
    newest.slice(0, 10),
  );
  assert.equal(p1.has_more, true);
  const p2 = await page(`limit=10&starting_after=${newest[9]}`);
  assert.deepEqual(
    p2.data.map((p: { id: string }) => p.id),
    newest.slice(10, 20),
  );
  const p3 = await page(`limit=10&starting_after=${newest[19]}`);
  assert.deepEqual(
    p3.data.map((p: { id: string }) => p.id),
    newest.slice(20),
  );
  assert.equal(p3.has_more, false);
  const back = await page(`limit=10&ending_before=${newest[20]}`);
  assert.deepEqual(
    back.data.map((p: { id: string }) => p.id),
    newest.slice(10, 20),
  );
  assert.equal(back.has_more, true);

  const since = startSeconds + 20;
  const recent = await page(`limit=100&created[gte]=${since}`);
  assert.equal(recent.data.length, 5);
  const window = await page(`created[gt]=${startSeconds + 1}&created[lt]=${startSeconds + 4}`);
  assert.equal(window.data.length, 2);
  const canceled = await ok(h, s, `/v1/payments/${ids[3]}/cancel`, {});
  assert.equal(canceled['status'], 'canceled');
  const byStatus = await page('status=canceled');
  assert.deepEqual(
    byStatus.data.map((p: { id: string }) => p.id),
    [ids[3]],
  );

  const bad = await get(h, s, '/v1/payments?limit=101');
  assert.equal(bad.statusCode, 400);
  const both = await get(h, s, `/v1/payments?starting_after=${ids[0]}&ending_before=${ids[1]}`);
  assert.equal(both.statusCode, 400);
  const unknown = await get(h, s, '/v1/payments?starting_after=pay_doesnotexist00');
  assert.equal(unknown.json().error.code, 'pagination_cursor_not_found');
});
