import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTestDb } from '../../test/helpers/db.ts';
import { connect } from '../db/index.ts';
import { manualClock } from '../lib/clock.ts';
import { createAudit, entryHash, GENESIS_HASH, type AuditEntryInput } from './index.ts';
import { readEntries } from './store.ts';

// Appends write unchained entries in the caller's transaction; audit_chain() numbers and
// hashes the committed ones. These tests hold PostgreSQL's hashes to chain.ts's and check
// that an open transaction never holds up another's append or the chaining.

const one = (action: string, detail?: Record<string, unknown>): AuditEntryInput => ({
  action,
  actor: { type: 'system' },
  outcome: 'success',
  detail,
});

function assertChain(entries: Awaited<ReturnType<typeof readEntries>>) {
  let prev = GENESIS_HASH;
  entries.forEach((e, i) => {
    assert.equal(e.seq, BigInt(i + 1), 'seq is contiguous from 1');
    assert.deepEqual(e.prevHash, prev, `prev_hash of ${e.seq}`);
    assert.deepEqual(e.hash, entryHash(prev, e), `hash of ${e.seq}`);
    prev = e.hash;
  });
  return prev;
}

test('committed entries are chained in order, validly; rolled back ones never', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql });
  await db.sql.begin(async (tx) => {
    await audit.append(tx, [
      one('test.thing.done', { n: 1n }),
      { action: 'test.thing.done', actor: { type: 'cli', id: 'x' }, outcome: 'failure' },
    ]);
  });
  await assert.rejects(
    db.sql.begin(async (tx) => {
      await audit.append(tx, [one('test.thing.lost')]);
      throw new Error('roll back');
    }),
  );
  // Larger appends stream a binary COPY instead of one INSERT: the same rows.
  const many = Array.from({ length: 300 }, (_, i) => one('test.thing.many', { i }));
  await db.sql.begin((tx) => audit.append(tx, many));
  await audit.chain();
  const entries = await readEntries(db.sql, 0n, 1000);
  assert.equal(entries.length, 302);
  const last = assertChain(entries);
  assert.equal(entries[0]?.detail, '{"n":"1"}');
  assert.equal(entries[1]?.actorId, 'x');
  assert.deepEqual(
    entries.slice(2).map((e) => e.detail),
    many.map((_, i) => `{"i":${i}}`),
  );
  assert.equal(await audit.unchainedEntries(), 0n);
  const [head] = await db.sql<{ seq: bigint; hash: Buffer }[]>`select seq, hash from audit_head`;
  assert.equal(head?.seq, 302n);
  assert.deepEqual(head?.hash, last);
});

test('card numbers and secrets in detail are scrubbed before they are recorded', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock() });
  await db.sql.begin((tx) =>
    audit.append(tx, [
      one('test.card.seen', {
        note: 'card 4242 4242 4242 4242',
        cvc: '123',
        password: 'hunter2',
      }),
    ]),
  );
  // Unchained entries are rows already: what is on disk is scrubbed from the first write.
  const [e] = await db.sql<{ detail: string }[]>`select detail from audit_entries`;
  assert.ok(e);
  assert.doesNotMatch(e.detail, /4242 4242|hunter2|"123"/);
});

test('PostgreSQL chains any text exactly as entryHash() does', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql });
  // Every control character, quotes, backslashes, line and paragraph separators, astral
  // characters and arbitrary code points: JSON escaping is where SQL and JS could differ.
  const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
  const fixed = [controls, '"\\/\\u0000 lone \ud800 ', '\u2028\u2029\u007f\u00e9€😀', ''];
  const text = fc.string({ unit: 'binary', maxLength: 12 }).map((x) => x.replace(/\0/g, ''));
  const samples = fc.sample(text, { numRuns: 150, seed: 14 });
  const inputs = [...fixed, ...samples].map((x, i): AuditEntryInput => ({
    action: 'test.text.kept',
    actor: { type: 'operator', id: x },
    subject: { type: x, id: `${i}${x}` },
    source: { ip: x, requestId: x },
    outcome: 'denied',
    detail: { x, nested: { x } },
  }));
  for (let i = 0; i < inputs.length; i += 40) {
    clock.advanceMs(1234);
    await db.sql.begin((tx) => audit.append(tx, inputs.slice(i, i + 40)));
  }
  await audit.chain();
  const entries = await readEntries(db.sql, 0n, 1000);
  assert.equal(entries.length, inputs.length);
  assertChain(entries);
  // A lone surrogate is stored as U+FFFD, as UTF-8 encoding makes it, and hashed as stored.
  assert.deepEqual(
    entries.map((e) => e.actorId),
    inputs.map((e) => Buffer.from(e.actor.id ?? '').toString()),
  );
});

test('a transaction left open after appending holds up no other append', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql });
  const other = connect(db.url, { connectionsMax: 1, statementTimeoutMs: 2000 });
  t.after(() => other.end({ timeout: 5 }));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let appended!: () => void;
  const appendedFirst = new Promise<void>((r) => (appended = r));
  // The first transaction appends, then sits idle in transaction, as a caller waiting on
  // Node does. Before entries were chained after commit it held the chain head's lock.
  const slow = db.sql.begin(async (tx) => {
    await audit.append(tx, [one('test.slow.first')]);
    appended();
    await held;
  });
  await appendedFirst;
  const started = Date.now();
  await other.begin((tx) => audit.append(tx, [one('test.fast.second')]));
  await audit.chain();
  assert.ok(Date.now() - started < 1500, 'the second append and the chaining did not wait');
  release();
  await slow;
  await audit.chain();
  const entries = await readEntries(db.sql, 0n, 10);
  // Chain order is the order entries were chained: the second committed first.
  assert.deepEqual(
    entries.map((e) => e.action),
    ['test.fast.second', 'test.slow.first'],
  );
  assertChain(entries);
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
  // The index keeps every action but the ledger's transfer entries, once chained.
  const [index] = await db.sql<{ def: string }[]>`
    select indexdef as def from pg_indexes where indexname = 'audit_entries_action'`;
  assert.match(
    index?.def ?? '',
    /WHERE \(\(action !~~ 'ledger\.transfer\.%'::text\) AND \(seq IS NOT NULL\)\)/,
  );
});

// The seq, subject, actor and action indexes hold chained entries only (migration 0048), so
// an append writes no entry into them. Readers ask only for chained entries (seq > n), and
// each must still reach its index with a generic plan, as a pool's prepared statements do.
test('the seq-keyed indexes hold chained entries; readers still use them', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const defs = await db.sql<{ name: string; def: string }[]>`
    select indexname as name, indexdef as def from pg_indexes
    where tablename = 'audit_entries' and indexdef like '%seq%' order by 1`;
  assert.deepEqual(
    defs.filter((d) => !/seq IS (NOT )?NULL/.test(d.def)).map((d) => d.name),
    [],
    'every index holding seq leaves out entries by whether they are chained',
  );
  const cases: [string, string][] = [
    ['audit_entries_seq', 'seq > $1 order by seq'],
    ['audit_entries_subject', 'seq > $1 and subject_type = $2 and subject_id = $3 order by seq'],
    // (The action index also leaves out transfer entries, which a query must rule out.)
    [
      'audit_entries_action',
      `seq > $1 and action = $2 and action not like 'ledger.transfer.%' order by seq`,
    ],
    ['audit_entries_actor', 'seq > $1 and actor_type = $2 and actor_id = $3 order by seq'],
  ];
  for (const [index, where] of cases) {
    const plan = await db.owner.begin(async (tx) => {
      // On a table this small a scan would win on cost; forbidding it shows the index fits.
      await tx`set local enable_seqscan = off`;
      return tx.unsafe<{ 'QUERY PLAN': string }[]>(
        `explain (generic_plan) select * from audit_entries where ${where} limit 10`,
      );
    });
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(text, new RegExp(`Index Scan using ${index} `), `${index}:\n${text}`);
  }
});
