import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createLedger } from '../src/ledger/index.ts';
import { createTestDb } from './helpers/db.ts';
import { startWriter } from './helpers/writer-process.ts';

// The deployment ARCHITECTURE.md describes: two Kinko processes on one database, both
// appending (audit entries of their own and ledger transfers) and both chaining. The chain
// must come out whole: valid, numbered 1…n without a gap, every entry exactly once.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const TRANSACTIONS = 120;

test('two processes appending at once make one valid chain, no gaps, no duplicates', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: systemClock, sql: db.sql });
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
  // The transfers the writers posted are audited too, once each.
  const acked = writers.flatMap((w) => w.acked());
  // Each batch's one entry commits to its transfers (ledger_batches names them, 16 bytes
  // each); audit verify above recomputed every root from ledger_transfers.
  const audited = await db.sql<{ id: string }[]>`
    select encode(substr(b.transfer_ids, 16 * i + 1, 16), 'hex')::uuid::text as id
    from ledger_batches b
    join audit_entries a on a.action = 'ledger.batch.created' and a.subject_id = b.id::text
    cross join generate_series(0, length(b.transfer_ids) / 16 - 1) as i`;
  assert.deepEqual(audited.map((r) => r.id).sort(), [...acked].sort());
  const checked = await ledger.check();
  assert.ok(checked.ok);
});
