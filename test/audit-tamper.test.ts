import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { createTestDb, type TestDb } from './helpers/db.ts';
import type { Tx } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import {
  checkpointMessage,
  createAudit,
  entryHash,
  generateAuditSigningKey,
  type Audit,
  type AuditEntry,
  type ExportedCheckpoint,
} from '../src/audit/index.ts';

// Each test plays an attacker with write access to the database: they disable the
// append-only triggers, as anyone holding the table owner's role can, and alter the chain.
// Verification must answer ok:false and name the first seq that no longer holds. These
// fixtures keep no anchor file, to show what the database alone proves;
// audit-checkpoints-deleted.test.ts shows what the anchor adds.

const key = generateAuditSigningKey();
const reader = createAudit({ clock: manualClock() });

interface Fixture {
  db: TestDb;
  audit: Audit;
  exported: ExportedCheckpoint[];
}

/** 20 entries appended five at a time, with a signed checkpoint after each batch. */
async function chain(t: { after(fn: () => Promise<void>): void }): Promise<Fixture> {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql, signingKey: key });
  for (let batch = 0; batch < 4; batch++) {
    await db.sql.begin((tx) =>
      audit.append(
        tx,
        Array.from({ length: 5 }, (_, i) => ({
          action: 'ledger.transfer.posted',
          actor: { type: 'operator' as const, id: `op_${batch}` },
          subject: { type: 'transfer', id: `tr_${batch * 5 + i + 1}` },
          outcome: 'success' as const,
          detail: { amount: BigInt(1000 + batch * 5 + i) },
        })),
      ),
    );
    clock.advanceMs(60_000);
    assert.ok(await audit.checkpoint());
  }
  const exported = await audit.exportCheckpoints();
  assert.deepEqual(exported.map((c) => c.seq), ['5', '10', '15', '20']);
  const intact = await audit.verify({ exportedCheckpoints: exported });
  assert.deepEqual(intact, {
    ok: true,
    entries: 20n,
    checkpoints: 4,
    exportedCheckpoints: 4,
    uncoveredEntries: 0n,
    anchor: null,
  });
  return { db, audit, exported };
}

async function asAttacker(db: TestDb, fn: (tx: Tx) => Promise<unknown>): Promise<void> {
  // An attacker with the schema owner's credentials: the serving role may not do this.
  await db.owner.begin(async (tx) => {
    // The owner may switch off every guard of the table, this one included.
    await tx`alter table audit_entries disable trigger audit_entries_append_only`;
    await tx`alter table audit_entries disable trigger audit_entries_inserted_unchained`;
    await tx`alter table audit_checkpoints disable trigger audit_checkpoints_append_only`;
    await fn(tx);
    await tx`alter table audit_entries enable trigger audit_entries_append_only`;
    await tx`alter table audit_entries enable trigger audit_entries_inserted_unchained`;
    await tx`alter table audit_checkpoints enable trigger audit_checkpoints_append_only`;
  });
}

async function entries(tx: Tx): Promise<AuditEntry[]> {
  return reader.listEntries({ limit: 1000 }, tx);
}

/** Moves entries with seq in [from, to] by delta, through a free range to dodge the key. */
async function shift(tx: Tx, from: number, to: number, delta: number): Promise<void> {
  await tx`update audit_entries set seq = seq + 1000 where seq between ${from} and ${to}`;
  await tx`update audit_entries set seq = seq - 1000 + ${delta} where seq > 1000`;
}

async function fixHead(tx: Tx): Promise<void> {
  await tx`
    update audit_head set (seq, hash) =
      (select seq, hash from audit_entries order by seq desc limit 1)`;
}

test('editing a field of an entry is caught at that entry', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, (tx) =>
    tx`update audit_entries set detail = '{"amount":"1"}' where seq = 7`);
  const r = await f.audit.verify();
  const problem = 'entry 7: hash does not match its content (edited?)';
  assert.deepEqual(r, { ok: false, seq: 7n, problem });
});

test('deleting an entry in the middle is caught at the gap', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, (tx) => tx`delete from audit_entries where seq = 9`);
  const r = await f.audit.verify();
  assert.deepEqual(r, { ok: false, seq: 9n, problem: 'entry 9 missing (deleted?)' });
});

test('deleting the tail without fixing the head is caught by the head', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, (tx) => tx`delete from audit_entries where seq > 18`);
  const r = await f.audit.verify();
  assert.deepEqual(r, { ok: false, seq: 19n, problem: 'head says 20 entries, chain has 18' });
});

test('cutting the tail and fixing up the head is caught by the stored checkpoint', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    await tx`delete from audit_entries where seq > 16`;
    await fixHead(tx);
  });
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: false,
    seq: 17n,
    problem: 'checkpoint at 20: chain has only 16 entries (truncated?)',
  });
});

test('cutting the tail and its checkpoints is caught by exported checkpoints only', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    await tx`delete from audit_entries where seq > 16`;
    await tx`delete from audit_checkpoints where seq > 16`;
    await fixHead(tx);
  });
  // What is left in the database is a consistent, shorter chain.
  assert.equal((await f.audit.verify()).ok, true);
  const r = await f.audit.verify({ exportedCheckpoints: f.exported });
  assert.deepEqual(r, {
    ok: false,
    seq: 17n,
    problem: 'exported checkpoint at 20: chain has only 16 entries (truncated?)',
  });
});

test('a forged entry inserted in the middle, renumbering the rest, breaks a link', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    const all = await entries(tx);
    const before = all[9]!;
    await shift(tx, 11, 20, 1);
    // A careful forger links the new entry 11 to entry 10 and gives it a correct hash; the
    // renumbered old entry 11 (now 12) still links to entry 10, and that is where it shows.
    const forged = { ...before, seq: 11n, actorId: 'op_mallory', detail: '{"amount":"9999999"}' };
    const hash = entryHash(before.hash, forged);
    await tx`
      insert into audit_entries (seq, at, actor_type, actor_id, action, subject_type, subject_id,
                                 outcome, detail, prev_hash, hash)
      values (11, ${forged.at}, ${forged.actorType}, ${forged.actorId}, ${forged.action},
              ${forged.subjectType}, ${forged.subjectId}, ${forged.outcome}, ${forged.detail},
              ${before.hash}, ${hash})`;
    await fixHead(tx);
  });
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: false,
    seq: 12n,
    problem: 'entry 12: prev_hash does not link to entry 11 (inserted or reordered?)',
  });
});

test('swapping two entries is caught at the first of them', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    await tx`update audit_entries set seq = 1005 where seq = 5`;
    await tx`update audit_entries set seq = 5 where seq = 6`;
    await tx`update audit_entries set seq = 6 where seq = 1005`;
  });
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: false,
    seq: 5n,
    problem: 'entry 5: prev_hash does not link to entry 4 (inserted or reordered?)',
  });
});

/** Edits entry 3 and recomputes every later hash and the head: a self-consistent forgery. */
async function rewriteChain(tx: Tx): Promise<void> {
  let prev: Buffer | undefined;
  for (const e of await entries(tx)) {
    const edited = e.seq === 3n ? { ...e, detail: '{"amount":"1"}' } : e;
    const prevHash = prev ?? e.prevHash;
    const hash = entryHash(prevHash, edited);
    await tx`
      update audit_entries set detail = ${edited.detail}, prev_hash = ${prevHash}, hash = ${hash}
      where seq = ${e.seq.toString()}::int8`;
    prev = hash;
  }
  await fixHead(tx);
}

test('rewriting the whole chain with valid hashes is caught by checkpoints only', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, rewriteChain);
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: false,
    seq: 5n,
    problem: 'checkpoint at 5: signed head hash does not match the chain (rewritten?)',
  });
  // Proof that the hash chain alone cannot see it: without checkpoints the forgery verifies.
  await asAttacker(f.db, (tx) => tx`delete from audit_checkpoints`);
  assert.deepEqual(await f.audit.verify(), {
    ok: true,
    entries: 20n,
    checkpoints: 0,
    exportedCheckpoints: 0,
    uncoveredEntries: 20n,
    anchor: null,
  });
  // The copy kept off the host still catches it.
  const off = await f.audit.verify({ exportedCheckpoints: f.exported });
  assert.deepEqual(off, {
    ok: false,
    seq: 5n,
    problem: 'exported checkpoint at 5: signed head hash does not match the chain (rewritten?)',
  });
});

test('rewriting the chain and the checkpoint hashes is caught by the signature', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    await rewriteChain(tx);
    await tx`
      update audit_checkpoints c set head_hash = e.hash from audit_entries e where e.seq = c.seq`;
  });
  const r = await f.audit.verify();
  assert.deepEqual(r, { ok: false, seq: 5n, problem: 'checkpoint at 5: signature invalid' });
});

test('rewriting the chain and re-signing with a key of the attacker is caught', async (t) => {
  const f = await chain(t);
  const mallory = generateAuditSigningKey();
  await asAttacker(f.db, async (tx) => {
    await rewriteChain(tx);
    const forged = await tx<{ seq: bigint; hash: Buffer }[]>`
      select e.seq, e.hash from audit_checkpoints c join audit_entries e using (seq)`;
    for (const c of forged) {
      const signature = sign(null, checkpointMessage(c.seq, c.hash), mallory.privateKey);
      await tx`
        update audit_checkpoints
        set head_hash = ${c.hash}, signature = ${signature}, key_id = ${mallory.keyId},
            public_key = ${mallory.publicKeyRaw}
        where seq = ${c.seq.toString()}::int8`;
    }
  });
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: false,
    seq: 5n,
    problem: `checkpoint at 5: signed by key ${mallory.keyId}, which is not trusted`,
  });
});

test('a checkpoint is refused over a chain tampered with since the last one', async (t) => {
  const f = await chain(t);
  await f.db.sql.begin((tx) =>
    f.audit.append(tx, [
      { action: 'ledger.transfer.posted', actor: { type: 'system' }, outcome: 'success' },
    ]),
  );
  await f.audit.chain(); // entry 21 is chained after its commit; then it is edited
  await asAttacker(f.db, (tx) => tx`update audit_entries set actor_id = 'op_x' where seq = 21`);
  await assert.rejects(f.audit.checkpoint(), { code: 'audit_chain_broken' });
});

test('UPDATE, DELETE and TRUNCATE without disabling the trigger are refused', async (t) => {
  const f = await chain(t);
  // As the tables' owner: the triggers hold even for a role with every right on the tables
  // (the serving role is refused earlier, by privilege: serving-role-cannot-rewrite-audit).
  const sql = f.db.owner;
  await assert.rejects(sql`update audit_entries set detail = '{}' where seq = 1`, /append-only/);
  await assert.rejects(sql`delete from audit_entries where seq = 20`, /append-only/);
  await assert.rejects(sql`truncate audit_entries`, /append-only/);
  await assert.rejects(sql`delete from audit_checkpoints`, /append-only/);
  await assert.rejects(sql`update audit_checkpoints set created_at = now()`, /append-only/);
  assert.equal((await f.audit.verify({ exportedCheckpoints: f.exported })).ok, true);
});
