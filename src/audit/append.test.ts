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
  assert.deepEqual(
    entries.map((e) => e.seq),
    [1n, 2n],
  );
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

test('rows hashed before the lock stay one chain across processes and rollbacks', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  // Two instances stand for two processes: each guesses the head it wrote last.
  const a = createAudit({ clock });
  const b = createAudit({ clock });
  const one = (action: string) => [
    { action, actor: { type: 'system' as const }, outcome: 'success' as const },
  ];
  const seen: string[] = [];
  const run = async (audit: typeof a, action: string, rollBack = false) => {
    clock.advanceMs(1000);
    const done = db.sql.begin(async (tx) => {
      await audit.append(tx, [...one(action), ...one(action)]);
      if (rollBack) throw new Error('roll back');
    });
    if (rollBack) await assert.rejects(done);
    else {
      await done;
      seen.push(action, action);
    }
  };
  await run(a, 'test.a.first'); // no guess yet
  await run(a, 'test.a.second'); // guess holds
  await run(b, 'test.b.first'); // b has no guess
  await run(a, 'test.a.third'); // a's guess is stale: b moved the head
  await run(a, 'test.a.lost', true); // a now guesses a head that was rolled back
  await run(a, 'test.a.fourth');
  // Concurrent appends from one instance: only the first can use the guess.
  await Promise.all([run(b, 'test.b.second'), run(b, 'test.b.third')]);
  const entries = await readEntries(db.sql, 0n, 100);
  assert.deepEqual(
    entries.map((e) => e.seq),
    entries.map((_, i) => BigInt(i + 1)),
  );
  assert.deepEqual(entries.map((e) => e.action).sort(), seen.sort());
  let prev = GENESIS_HASH;
  for (const e of entries) {
    assert.deepEqual(e.prevHash, prev, `prev_hash of ${e.seq}`);
    assert.deepEqual(e.hash, entryHash(prev, e), `hash of ${e.seq}`);
    prev = e.hash;
  }
  const [head] = await db.sql<{ seq: bigint; hash: Buffer }[]>`select seq, hash from audit_head`;
  assert.equal(head?.seq, BigInt(entries.length));
  assert.deepEqual(head?.hash, prev);
});

test('entries are listed by action whether or not the action index holds them', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql });
  const entry = (action: string, id: string) => ({
    action,
    actor: { type: 'system' as const },
    subject: { type: 'transfer', id },
    outcome: 'success' as const,
  });
  await db.sql.begin((tx) =>
    audit.append(tx, [
      entry('ledger.transfer.created', 't1'),
      entry('identity.stuffing.detected', 'c1'),
      entry('ledger.transfer.created', 't2'),
      entry('ledger.transfer.posted', 't1'),
    ]),
  );
  const created = await audit.listEntries({ action: 'ledger.transfer.created', limit: 10 });
  assert.deepEqual(
    created.map((e) => e.subjectId),
    ['t1', 't2'],
  );
  const rare = await audit.listEntries({ action: 'identity.stuffing.detected', limit: 10 });
  assert.deepEqual(
    rare.map((e) => e.seq),
    [2n],
  );
  const bySubject = await audit.listEntries({
    subjectType: 'transfer',
    subjectId: 't1',
    limit: 10,
  });
  assert.deepEqual(
    bySubject.map((e) => e.action),
    ['ledger.transfer.created', 'ledger.transfer.posted'],
  );
  // The index keeps every action but the ledger's transfer entries.
  const [index] = await db.sql<{ def: string }[]>`
    select indexdef as def from pg_indexes where indexname = 'audit_entries_action'`;
  assert.match(index?.def ?? '', /WHERE \(action !~~ 'ledger\.transfer\.%'::text\)/);
});
