import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { as, invite, ownerOf } from './helpers/merchant-team.ts';
import { signedInOperator } from './helpers/operators.ts';
import { idem, payPlatform } from './helpers/payments-platform.ts';

// Who may do what with watched pages: a merchant's owners, admins and developers register
// pages and approve their inventory, analysts only read, store managers see nothing; one
// merchant never reaches another's pages. Operators all read; only a security admin approves
// Kinko's own pages, and no operator approves a merchant's (the merchant does).

test('page routes: merchant roles, merchant isolation, operator approval', async () => {
  const p = await payPlatform({
    env: { KINKO_PAGEWATCH_BROWSER: '/nonexistent/chromium', KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1' },
  });
  try {
    const owner = await ownerOf(p, p.merchant.merchantId, 'owner@yamada.example');
    const storeId = p.merchant.store!.id;
    const people = {
      owner,
      developer: await invite(p, owner, 'dev@yamada.example', 'developer'),
      analyst: await invite(p, owner, 'analyst@yamada.example', 'analyst'),
      store_manager: await invite(p, owner, 'sm@yamada.example', 'store_manager', [storeId]),
    };
    const expected = { owner: 201, developer: 201, analyst: 403, store_manager: 403 };
    const pageIds: string[] = [];
    for (const [role, status] of Object.entries(expected)) {
      const who = people[role as keyof typeof people];
      const url = `http://127.0.0.1:9/${role}`;
      const res = await as(p, who)('POST', '/v1/pages', { url }, idem());
      assert.equal(res.statusCode, status, `${role}: ${res.body}`);
      if (status === 201) pageIds.push(res.json().id);
      const read = await as(p, who)('GET', '/v1/pages');
      assert.equal(read.statusCode, role === 'store_manager' ? 403 : 200, `${role} reads`);
    }
    const pageId = pageIds[0]!;

    const other = await p.modules.merchants.createMerchant(
      { name: 'Other shop', mode: 'live', allowedOrigins: [] },
      { type: 'cli' },
    );
    const theirs = { authorization: `Bearer ${other.secretKey}` };
    const peek = await p.app.inject({ method: 'GET', url: `/v1/pages/${pageId}`, headers: theirs });
    assert.equal(peek.statusCode, 404);
    assert.equal(peek.json().error.code, 'page_not_found');

    // Kinko's own pages exist from the first pass; one loaded observation to approve.
    await p.jobs.pagewatchPass();
    const [kinko] = await p.db.sql<{ id: string }[]>`select id from pagewatch_pages
      where merchant_id is null and kind = 'challenge'`;
    const obs = `pgobs_${randomBytes(12).toString('base64url')}`;
    await p.db.owner`insert into pagewatch_observations (id, page_id, observed_at, outcome,
      inventory, inventory_hash) values (${obs}, ${kinko!.id}, ${p.clock.now()}, 'loaded',
      ${p.db.owner.json({ scripts: [], headers: {}, frames: [], form_actions: [] })},
      ${randomBytes(32)})`;
    const support = await signedInOperator(p, 1, 'support');
    const admin = await signedInOperator(p, 2, 'security_admin');
    const approve = (headers: Record<string, string>, id: string) =>
      p.app.inject({
        method: 'POST',
        url: `/v1/operator/pages/${id}/approve`,
        headers,
        payload: { observation_id: obs, reason: 'the challenge page as deployed' },
      });
    const list = await p.app.inject({
      method: 'GET',
      url: '/v1/operator/pages',
      headers: support.headers,
    });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().monitor.monitoring, 'off');
    assert.equal((await approve(support.headers, kinko!.id)).statusCode, 403);
    const notTheirs = await approve(admin.headers, pageId);
    assert.equal(notTheirs.json().error.code, 'page_not_found', 'merchants approve their own');
    const ok = await approve(admin.headers, kinko!.id);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().state, 'approved');
    const [entry] = await p.db.sql`select actor_type, actor_id from audit_entries
      where action = 'pagewatch.inventory.approved' and subject_id = ${kinko!.id}`;
    assert.deepEqual({ ...entry }, { actor_type: 'operator', actor_id: admin.id });
  } finally {
    await p.close();
  }
});
