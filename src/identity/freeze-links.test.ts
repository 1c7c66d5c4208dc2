import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, signUp } from '../../test/helpers/identity-harness.ts';

// freezeLinks mints a batch of "this was not me" links with one insert (receipts ask for one
// per notice): one link per requested id, in order, each freezing only its own account.

const tokenOf = (link: string) => /#token=([A-Za-z0-9_-]+)$/.exec(link)?.[1] ?? '';

test('freezeLinks: one working link per requested id, in order, for its account', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const a = await signUp(h, 1);
  const b = await signUp(h, 2);
  const ids = [a.customerId, b.customerId, a.customerId];
  const links = await h.db.sql.begin((tx) => h.identity.freezeLinks(tx, ids));
  assert.equal(links.length, 3);
  assert.equal(new Set(links).size, 3, 'a repeated id gets a link of its own');
  assert.ok(links.every((l) => l.startsWith('http://localhost:8080/account/freeze#token=')));
  assert.deepEqual(await h.db.sql.begin((tx) => h.identity.freezeLinks(tx, [])), []);

  const freeze = (link: string) =>
    h.app.inject({ method: 'POST', url: '/v1/identity/freeze', payload: { token: tokenOf(link) } });
  assert.ok((await freeze(links[1]!)).statusCode < 300);
  const status = async () =>
    (
      await h.db.sql<{ id: string; status: string }[]>`
      select id, status from identity_customers
      where id in ${h.db.sql([a.customerId, b.customerId])}`
    )
      .map((r) => [r.id === a.customerId ? 'a' : 'b', r.status])
      .sort();
  assert.deepEqual(await status(), [
    ['a', 'active'],
    ['b', 'frozen'],
  ]);
  assert.equal((await freeze(links[1]!)).statusCode, 400, 'a link works once');
  assert.ok((await freeze(links[2]!)).statusCode < 300, "the third link is a's");
  assert.deepEqual(await status(), [
    ['a', 'frozen'],
    ['b', 'frozen'],
  ]);
});
