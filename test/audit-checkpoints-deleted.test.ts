import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, type TestDb } from './helpers/db.ts';
import type { Tx } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/log.ts';
import {
  ANCHOR_FILE_NAME,
  createAudit,
  entryHash,
  generateAuditSigningKey,
  type Audit,
  type AuditEntry,
} from '../src/audit/index.ts';

// The attacker can write to the database, so can delete checkpoints as well as entries: a
// chain that is shortened or rewritten, with its checkpoints gone, is self-consistent and
// the database alone cannot tell (audit-tamper.test.ts). The anchor file beside the signing
// key, outside the database, still names the newest signed head and how many checkpoints
// led to it; plain `verify` holds the database to it.

const key = generateAuditSigningKey();
const reader = createAudit({ clock: manualClock() });

interface Fixture {
  db: TestDb;
  audit: Audit;
  anchorFile: string;
}

function anchorDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-anchor-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'keys');
}

async function appendEntries(db: TestDb, audit: Audit, n: number): Promise<void> {
  await db.sql.begin((tx) =>
    audit.append(
      tx,
      Array.from({ length: n }, (_, i) => ({
        action: 'ledger.transfer.posted',
        actor: { type: 'system' as const },
        subject: { type: 'transfer', id: `tr_${i}` },
        outcome: 'success' as const,
        detail: { amount: BigInt(1000 + i) },
      })),
    ),
  );
}

/** 20 entries, five at a time, each batch checkpointed (and so anchored). */
async function chain(t: { after(fn: () => Promise<void> | void): void }): Promise<Fixture> {
  const db = await createTestDb();
  t.after(() => db.close());
  const anchorFile = path.join(anchorDir(t), ANCHOR_FILE_NAME);
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql, signingKey: key, anchorFile });
  for (let batch = 0; batch < 4; batch++) {
    await appendEntries(db, audit, 5);
    clock.advanceMs(5_000);
    assert.ok(await audit.checkpoint());
  }
  return { db, audit, anchorFile };
}

async function asAttacker(db: TestDb, fn: (tx: Tx) => Promise<unknown>): Promise<void> {
  // An attacker with the schema owner's credentials: the serving role may not do this.
  await db.owner.begin(async (tx) => {
    await tx`alter table audit_entries disable trigger audit_entries_append_only`;
    await tx`alter table audit_checkpoints disable trigger audit_checkpoints_append_only`;
    await fn(tx);
    await tx`alter table audit_entries enable trigger audit_entries_append_only`;
    await tx`alter table audit_checkpoints enable trigger audit_checkpoints_append_only`;
  });
}

async function fixHead(tx: Tx): Promise<void> {
  await tx`
    update audit_head set (seq, hash) =
      (select seq, hash from audit_entries order by seq desc limit 1)`;
}

test('a normal run verifies and reports entries not yet covered by a checkpoint', async (t) => {
  const f = await chain(t);
  await appendEntries(f.db, f.audit, 3);
  const r = await f.audit.verify();
  assert.deepEqual(r, {
    ok: true,
    entries: 23n,
    checkpoints: 4,
    exportedCheckpoints: 0,
    uncoveredEntries: 3n,
    anchor: { file: f.anchorFile, seq: 20n, lines: 4, unreadableLines: 0, behindEntries: 0n },
  });
  assert.equal(fs.statSync(f.anchorFile).mode & 0o777, 0o600);
  const lines = fs.readFileSync(f.anchorFile, 'utf8').trim().split('\n');
  assert.deepEqual(
    lines.map((l) => [JSON.parse(l).seq, JSON.parse(l).checkpoints]),
    [
      ['5', '1'],
      ['10', '2'],
      ['15', '3'],
      ['20', '4'],
    ],
  );
});

test('deleting the checkpoints from the database is caught', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, (tx) => tx`delete from audit_checkpoints`);
  assert.deepEqual(await f.audit.verify(), {
    ok: false,
    seq: 20n,
    problem: 'anchored checkpoint at 20 is missing from the database (deleted?)',
  });
  // Nor does the checkpoint timer sign over what is left, which would hide the deletion.
  await appendEntries(f.db, f.audit, 1);
  await assert.rejects(f.audit.checkpoint(), {
    code: 'audit_chain_broken',
    message: new RegExp(
      'anchored checkpoint at 20 is missing from the database, whose newest is at 0 ',
    ),
  });
});

test('deleting an older checkpoint from the database is caught by the count', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, (tx) => tx`delete from audit_checkpoints where seq = 10`);
  assert.deepEqual(await f.audit.verify(), {
    ok: false,
    seq: 20n,
    problem: 'the anchor counts 4 checkpoints up to 20, the database holds 3 (deleted?)',
  });
});

/** Edits entry 3 and recomputes every later hash and the head: a self-consistent forgery. */
async function rewriteChain(tx: Tx): Promise<void> {
  let prev: Buffer | undefined;
  for (const e of (await reader.listEntries({ limit: 1000 }, tx)) as AuditEntry[]) {
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

test('a forged chain whose checkpoints were deleted is caught', async (t) => {
  const f = await chain(t);
  await asAttacker(f.db, async (tx) => {
    await rewriteChain(tx);
    await tx`delete from audit_checkpoints`;
  });
  assert.deepEqual(await f.audit.verify(), {
    ok: false,
    seq: 20n,
    problem: 'anchored checkpoint at 20: signed head hash does not match the chain (rewritten?)',
  });
});

test('entries deleted after the timer signed them are caught, within seconds', async (t) => {
  const f = await chain(t);
  await appendEntries(f.db, f.audit, 3);
  // The timer, as every process runs it; 1 s here, 5 s by default.
  const stop = f.audit.startCheckpointTimer(1, createLogger({ level: 'fatal' }));
  t.after(stop);
  const started = Date.now();
  for (;;) {
    const r = await f.audit.verify();
    if (r.ok && r.uncoveredEntries === 0n) break;
    assert.ok(Date.now() - started < 10_000, 'the timer signed the new entries');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  // The attacker removes the three newest entries and the checkpoint over them.
  await asAttacker(f.db, async (tx) => {
    await tx`delete from audit_entries where seq > 20`;
    await tx`delete from audit_checkpoints where seq > 20`;
    await fixHead(tx);
  });
  assert.deepEqual(await f.audit.verify(), {
    ok: false,
    seq: 21n,
    problem: 'anchored checkpoint at 23: chain has only 20 entries (truncated?)',
  });
});

test('a host whose anchor is behind checks up to it, and catches up', async (t) => {
  const f = await chain(t);
  // A second host: same database and signing key, its own anchor file, which saw only the
  // first checkpoint.
  const otherFile = path.join(anchorDir(t), ANCHOR_FILE_NAME);
  fs.mkdirSync(path.dirname(otherFile), { recursive: true });
  fs.writeFileSync(otherFile, fs.readFileSync(f.anchorFile, 'utf8').split('\n')[0] + '\n', {
    mode: 0o600,
  });
  const other = createAudit({
    clock: manualClock(),
    sql: f.db.sql,
    signingKey: key,
    anchorFile: otherFile,
  });
  const behind = await other.verify();
  assert.ok(behind.ok);
  assert.deepEqual(behind.anchor, {
    file: otherFile,
    seq: 5n,
    lines: 1,
    unreadableLines: 0,
    behindEntries: 15n,
  });
  // Its checkpoint timer has nothing to sign, but mirrors the newest checkpoint.
  assert.equal(await other.checkpoint(), null);
  const caughtUp = await other.verify();
  assert.ok(caughtUp.ok);
  assert.equal(caughtUp.anchor?.seq, 20n);
  assert.equal(caughtUp.anchor?.behindEntries, 0n);
  await asAttacker(f.db, (tx) => tx`delete from audit_checkpoints`);
  assert.equal((await other.verify()).ok, false);
});

test('a line cut short by a crash is reported, not fatal, and not run into', async (t) => {
  const f = await chain(t);
  fs.appendFileSync(f.anchorFile, '{"seq":"2');
  await appendEntries(f.db, f.audit, 2);
  assert.ok(await f.audit.checkpoint());
  const r = await f.audit.verify();
  assert.ok(r.ok);
  assert.deepEqual(r.anchor, {
    file: f.anchorFile,
    seq: 22n,
    lines: 6,
    unreadableLines: 1,
    behindEntries: 0n,
  });
});
