import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAudit } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createLedger, ledgerAuditCommitments } from '../src/ledger/index.ts';
import { createTestDb } from './helpers/db.ts';
import { startWriter } from './helpers/writer-process.ts';

// A Kinko process is killed (SIGKILL: no shutdown, no rollback from Node) while it posts
// transfers — in the middle of a batch's COPY and of one-transfer transactions — and while
// another holds a transaction open after its audit append. A process started afterwards
// must find the ledger and the audit chain whole: `ledger check` and `audit verify` pass,
// and every transfer acknowledged before the kill is stored and audited in the chain.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;

test('SIGKILL mid-batch and mid-append loses no acknowledged transfer', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const accounts = Array.from({ length: 50 }, () => uuidv7());
  {
    const audit = createAudit({ clock: systemClock, sql: db.sql });
    const ledger = createLedger({ sql: db.sql, clock: systemClock, audit, limits });
    await ledger.createAccounts(accounts.map((id) => ({ id, currency: 'JPY', code: 1 })));
  }
  // In the middle of a batch: the kill comes just after a batch was announced, while its
  // COPY streams and four callers post one transfer each.
  const busy = startWriter(db.url, accounts, 'k', 'ledger', { WRITER_BATCH: '3000' });
  t.after(() => busy.kill());
  let batches = 0;
  await busy.waitFor((l) => l.startsWith('batch') && ++batches === 3);
  await sleep(15);
  busy.kill();
  await busy.exited;
  // In the middle of an append: entries and a transfer written, the transaction open.
  const held = startWriter(db.url, accounts, 'h', 'hold');
  t.after(() => held.kill());
  await held.waitFor((l) => l === 'appended');
  held.kill();
  await held.exited;

  // The restart: a new process's modules over the same database.
  const commitments = [ledgerAuditCommitments];
  const audit = createAudit({ clock: systemClock, sql: db.sql, commitments });
  const ledger = createLedger({ sql: db.sql, clock: systemClock, audit, limits });
  const checked = await ledger.check();
  assert.ok(checked.ok, JSON.stringify(checked));
  const verified = await audit.verify();
  assert.ok(
    verified.ok,
    JSON.stringify(verified, (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
  );
  assert.equal(await audit.unchainedEntries(), 0n);
  const acked = busy.acked();
  assert.ok(acked.length > 3000, `acknowledged before the kill: ${acked.length}`);
  const stored = await ledger.lookupTransfers(acked);
  assert.equal(stored.length, acked.length, 'every acknowledged transfer is stored');
  const [audited] = await db.sql<{ n: bigint }[]>`
    select count(*)::int8 as n from ledger_transfers t
    join audit_entries e on e.subject_type = 'ledger_batch' and e.subject_id = t.batch_id::text
    where e.seq is not null and t.id = any(${acked}::uuid[])`;
  assert.equal(audited?.n, BigInt(acked.length), 'and audited by a chained batch entry');
  // The held transaction died with its process: neither its transfer nor its entry exists.
  const [heldEntry] = await db.sql`select 1 from audit_entries where action = 'test.writer.held'`;
  assert.equal(heldEntry, undefined);
});
