import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { manualClock } from '../lib/clock.ts';
import { createAudit, entryHash, GENESIS_HASH } from './index.ts';
import { readEntries } from './store.ts';

test('entries get contiguous seq and a valid chain, in the caller transaction', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock() });
  await db.sql.begin(async (tx) => {
    await audit.append(tx, [
      {
        action: 'test.thing.done',
        actor: { type: 'system' },
        outcome: 'success',
        detail: { n: 1n },
      },
      { action: 'test.thing.done', actor: { type: 'cli', id: 'x' }, outcome: 'failure' },
    ]);
  });
  await assert.rejects(
    db.sql.begin(async (tx) => {
      await audit.append(tx, [
        { action: 'test.thing.lost', actor: { type: 'system' }, outcome: 'success' },
      ]);
      throw new Error('roll back');
    }),
  );
  const entries = await readEntries(db.sql, 0n, 10);
  assert.deepEqual(entries.map((e) => e.seq), [1n, 2n]);
  let prev = GENESIS_HASH;
  for (const e of entries) {
    assert.deepEqual(e.prevHash, prev);
    assert.deepEqual(e.hash, entryHash(prev, e));
    prev = e.hash;
  }
  assert.equal(entries[0]?.detail, '{"n":"1"}');
});

test('card numbers and secrets in detail are scrubbed before they are recorded', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock() });
  await db.sql.begin((tx) =>
    audit.append(tx, [
      {
        action: 'test.card.seen',
        actor: { type: 'system' },
        outcome: 'success',
        detail: { note: 'card 4242 4242 4242 4242', cvc: '123', password: 'hunter2' },
      },
    ]),
  );
  const [e] = await readEntries(db.sql, 0n, 1);
  assert.ok(e);
  assert.doesNotMatch(e.detail, /4242 4242|hunter2|"123"/);
});
