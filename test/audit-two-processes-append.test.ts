import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createLedger, ledgerAuditCommitments } from '../src/ledger/index.ts';
import { createTestDb } from './helpers/db.ts';
import { startWriter } from './helpers/writer-process.ts';

// The deployment ARCHITECTURE.md describes: two Kinko processes on one database, both
// appending (audit entries of their own and ledger transfers) and both chaining. The chain
// must come out whole: valid, numbered 1…n without a gap, every entry exactly once.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const TRANSACTIONS = 120;
const commitments = [ledgerAuditCommitments];

test('two processes appending at once make one valid chain, no gaps, no duplicates', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: systemClock, sql: db.sql, commitments });
  const ledger = createLedger({ sql: db.sql, clock: systemClock, audit, limits });
  const accounts = Array.from({ length: 8 }, () => uuidv7());
  await ledger.createAccounts(accounts.map((id) => ({ id, currency: 'JPY', code: 1 })));
  const writers = ['a', 'b'].map((tag) =>
    startWriter(db.url, accounts, tag, 'append', { WRITER_TRANSACTIONS: String(TRANSACTIONS) }),
  );
  t.after(() => writers.forEach((w) => w.kill()));
  await Promise.all(writers.map((w) => w.exited));
  for (const w of writers) assert.ok(w.lines.includes('done'), `writer output: ${w.stderr()}`);

  const verified = await audit.verify();
  assert.ok(
    verified.ok,
    JSON.stringify(verified, (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
  );
  const rows = await db.sql<{ seq: bigint | null; subject_id: string | null }[]>`
    select seq, subject_id from audit_entries order by seq`;
  assert.deepEqual(
    rows.map((r) => r.seq),
    rows.map((_, i) => BigInt(i + 1)),
    'every entry is chained, numbered 1…n',
  );
  const written = rows.map((r) => r.subject_id ?? '').filter((s) => /^[ab]-/.test(s));
  const expected = ['a', 'b'].flatMap((tag) =>
    Array.from({ length: TRANSACTIONS }, (_, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, j) => `${tag}-${i}-${j}`),
    ).flat(),
  );
  assert.deepEqual([...written].sort(), expected.sort(), 'each entry exactly once');
  // The transfers the writers posted are stored, and verify (with the ledger's commitment
  // check) found each one committed to by a chained batch entry.
  const acked = writers.flatMap((w) => w.acked());
  assert.equal((await ledger.lookupTransfers(acked)).length, acked.length);
  const checked = await ledger.check();
  assert.ok(checked.ok);
});

test('verify passes while another process keeps posting transfers', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  // Verify chains what is committed, then reads one snapshot; entries committed in between
  // are still unchained there, beside the transfers they commit to.
  const audit = createAudit({ clock: systemClock, sql: db.sql, commitments });
  const ledger = createLedger({ sql: db.sql, clock: systemClock, audit, limits });
  const accounts = Array.from({ length: 8 }, () => uuidv7());
  await ledger.createAccounts(accounts.map((id) => ({ id, currency: 'JPY', code: 1 })));
  const writer = startWriter(db.url, accounts, 'v', 'ledger', { WRITER_BATCH: '500' });
  t.after(() => writer.kill());
  await writer.waitFor((l) => l.startsWith('ack'));
  for (let i = 0; i < 5; i++) {
    const verified = await audit.verify();
    assert.ok(
      verified.ok,
      JSON.stringify(verified, (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
    );
  }
  writer.kill();
  await writer.exited;
});
