import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from './helpers/db.ts';
import type { Tx } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { loadConfig } from '../src/config.ts';
import { createAudit, generateAuditSigningKey, type Audit } from '../src/audit/index.ts';
import { createLedger, ledgerAuditCommitments, type Ledger } from '../src/ledger/index.ts';

// A ledger batch is audited by one entry holding the Merkle root over its transfers. Each
// test plays an attacker with the schema owner's credentials who changes ledger_transfers
// (or the batch's stored ids and leaves, disabling their append-only trigger) and leaves the
// audit chain alone, which stays valid on its own. Verify must still refuse, and name the
// transfer. Without the ledger's commitment check the chain alone verifies: that check is
// what catches these.

const key = generateAuditSigningKey();
const limits = loadConfig({ KINKO_ENV: 'test' }).limits;

interface Fixture {
  db: TestDb;
  audit: Audit;
  /** The same chain verified without the ledger's check: the chain alone. */
  chainOnly: Audit;
  ledger: Ledger;
  accounts: [string, string];
  /** Two batches of five transfers, by batch then position. */
  batches: string[][];
}

async function fixture(t: { after(fn: () => Promise<void>): void }): Promise<Fixture> {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const commitments = [ledgerAuditCommitments];
  const audit = createAudit({ clock, sql: db.sql, signingKey: key, commitments });
  const chainOnly = createAudit({ clock, sql: db.sql, signingKey: key });
  const ledger = createLedger({ sql: db.sql, clock, audit, limits });
  const accounts: [string, string] = [uuidv7(), uuidv7()];
  await ledger.createAccounts(accounts.map((id) => ({ id, currency: 'JPY', code: 1 })));
  const batches: string[][] = [];
  for (let b = 0; b < 2; b++) {
    const batch = Array.from({ length: 5 }, (_, i) => ({
      id: uuidv7(),
      debitAccountId: accounts[0],
      creditAccountId: accounts[1],
      amount: BigInt(100 * (b + 1) + i),
      currency: 'JPY',
      code: 1,
    }));
    const results = await ledger.createTransfers(batch);
    assert.ok(results.every((r) => r.result === 'ok'));
    batches.push(batch.map((x) => x.id));
  }
  await audit.checkpoint();
  assert.equal((await audit.verify({ anchorFile: null })).ok, true);
  return { db, audit, chainOnly, ledger, accounts, batches };
}

async function asAttacker(db: TestDb, fn: (tx: Tx) => Promise<unknown>): Promise<void> {
  await db.owner.begin(async (tx) => {
    await tx`alter table ledger_batches disable trigger ledger_batches_append_only`;
    await fn(tx);
    await tx`alter table ledger_batches enable trigger ledger_batches_append_only`;
  });
}

async function refused(f: Fixture, subject: { type: string; id: string }, problem: RegExp) {
  assert.equal((await f.chainOnly.verify({ anchorFile: null })).ok, true, 'the chain alone holds');
  const r = await f.audit.verify({ anchorFile: null });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.deepEqual(r.subject, subject, r.problem);
  assert.match(r.problem, problem);
  assert.ok(r.problem.includes(subject.id), r.problem);
}

const transfer = (id: string) => ({ type: 'transfer', id });

test('an edited amount is caught and the transfer named', async (t) => {
  const f = await fixture(t);
  const victim = f.batches[1]![2]!;
  await asAttacker(f.db, (tx) => tx`update ledger_transfers set amount = 1 where id = ${victim}`);
  await refused(f, transfer(victim), /leaf 2 of ledger batch .* does not match .*edited/);
});

test('an edit of any committed field is caught: accounts, time, user data, code', async (t) => {
  const edits = [
    (tx: Tx, id: string) =>
      tx`update ledger_transfers set debit_account_id = ${uuidv7()} where id = ${id}`,
    (tx: Tx, id: string) =>
      tx`update ledger_transfers set created_at = created_at - interval '1 ms' where id = ${id}`,
    (tx: Tx, id: string) => tx`update ledger_transfers set user_data = 'x' where id = ${id}`,
    (tx: Tx, id: string) => tx`update ledger_transfers set code = 2 where id = ${id}`,
  ];
  for (const edit of edits) {
    const f = await fixture(t);
    const victim = f.batches[0]![3]!;
    await asAttacker(f.db, (tx) => edit(tx, victim));
    await refused(f, transfer(victim), /leaf 3 of ledger batch .* does not match .*edited/);
  }
});

test('a deleted transfer is caught and named', async (t) => {
  const f = await fixture(t);
  const victim = f.batches[0]![4]!;
  await asAttacker(f.db, (tx) => tx`delete from ledger_transfers where id = ${victim}`);
  await refused(f, transfer(victim), /leaf 4 of ledger batch .* is missing \(deleted\?\)/);
});

test('an inserted transfer in no batch is caught and named', async (t) => {
  const f = await fixture(t);
  const forged = uuidv7();
  const [dr, cr] = f.accounts;
  await asAttacker(
    f.db,
    (tx) => tx`
      insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, currency,
                                    code, flags, created_at)
      values (${forged}, ${dr}, ${cr}, 5000, 'JPY', 1, 0, now())`,
  );
  await refused(f, transfer(forged), /in no audited batch.*inserted/);
});

test('an inserted transfer naming a real batch is caught and named', async (t) => {
  const f = await fixture(t);
  const forged = uuidv7();
  const [dr, cr] = f.accounts;
  await asAttacker(
    f.db,
    (tx) => tx`
      insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, currency,
                                    code, flags, created_at, batch_id)
      select ${forged}, ${dr}, ${cr}, 5000, 'JPY', 1, 0, now(), batch_id
      from ledger_transfers where id = ${f.batches[0]![0]!}`,
  );
  await refused(f, transfer(forged), /which does not list it \(inserted\?\)/);
});

test('an inserted transfer listed in a forged batch is caught and named', async (t) => {
  const f = await fixture(t);
  const forged = uuidv7();
  const batch = uuidv7();
  const [dr, cr] = f.accounts;
  await asAttacker(f.db, async (tx) => {
    await tx`
      insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, currency,
                                    code, flags, created_at, batch_id)
      values (${forged}, ${dr}, ${cr}, 5000, 'JPY', 1, 0, now(), ${batch})`;
    await tx`
      insert into ledger_batches (id, transfer_ids, leaf_hashes, created_at)
      values (${batch}, decode(${forged.replaceAll('-', '')}, 'hex'),
              decode(repeat('00', 32), 'hex'), now())`;
  });
  await refused(f, transfer(forged), /which no audit entry commits to \(inserted\?\)/);
});

test('reordering a batch is caught: the transfer moved is named', async (t) => {
  const f = await fixture(t);
  // Swap the first two transfers of the second batch in its stored order.
  await asAttacker(
    f.db,
    (tx) => tx`
      update ledger_batches
      set transfer_ids = substring(transfer_ids from 17 for 16)
                         || substring(transfer_ids from 1 for 16)
                         || substring(transfer_ids from 33)
      where id = (select batch_id from ledger_transfers where id = ${f.batches[1]![0]!})`,
  );
  await refused(f, transfer(f.batches[1]![1]!), /leaf 0 of .*moved within its batch/);
});

test('an edit covered by rewritten stored leaves is still caught; the batch is named', async (t) => {
  const f = await fixture(t);
  const victim = f.batches[0]![1]!;
  const [row] = await f.db.sql<{ batch_id: string }[]>`
    select batch_id::text from ledger_transfers where id = ${victim}`;
  await asAttacker(f.db, async (tx) => {
    await tx`update ledger_transfers set amount = 1 where id = ${victim}`;
    await tx`update ledger_batches set leaf_hashes = decode(repeat('11', 160), 'hex')
             where id = ${row!.batch_id}`;
  });
  await refused(f, { type: 'ledger_batch', id: row!.batch_id }, /neither do its stored leaves/);
});

test('a deleted batch record is caught and the batch named', async (t) => {
  const f = await fixture(t);
  const [row] = await f.db.sql<{ batch_id: string }[]>`
    select batch_id::text from ledger_transfers where id = ${f.batches[0]![0]!}`;
  await asAttacker(f.db, (tx) => tx`delete from ledger_batches where id = ${row!.batch_id}`);
  await refused(f, { type: 'ledger_batch', id: row!.batch_id }, /is missing \(deleted\?\)/);
});

test('transfers from before batches keep their own entries, and are held to them', async (t) => {
  const f = await fixture(t);
  // A transfer as written before migration 0025: no batch, one entry of its own.
  const old = uuidv7();
  const [dr, cr] = f.accounts;
  await f.db.owner`
    insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, currency,
                                  code, flags, created_at)
    values (${old}, ${dr}, ${cr}, 77, 'JPY', 1, 0, now())`;
  await f.db.sql.begin((tx) =>
    f.audit.append(tx, [
      {
        action: 'ledger.transfer.created',
        actor: { type: 'system' },
        subject: { type: 'transfer', id: old },
        outcome: 'success',
        detail: { amount: '77', currency: 'JPY' },
      },
    ]),
  );
  assert.equal((await f.audit.verify({ anchorFile: null })).ok, true);
  await asAttacker(f.db, (tx) => tx`update ledger_transfers set amount = 78 where id = ${old}`);
  await refused(f, transfer(old), /does not match entry \d+ \(edited\?\)/);
  await asAttacker(f.db, (tx) => tx`delete from ledger_transfers where id = ${old}`);
  await refused(f, transfer(old), /missing \(deleted\?\)/);
});
