import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { createTestDb } from '../../test/helpers/db.ts';
import { connect } from '../db/index.ts';
import { manualClock } from '../lib/clock.ts';
import { createLogger } from '../lib/log.ts';
import {
  checkpointMessage,
  createAudit,
  generateAuditSigningKey,
  type AuditEntryInput,
} from './index.ts';

const key = generateAuditSigningKey();

function entry(n: number, subjectId = `acc_${n % 3}`): AuditEntryInput {
  return {
    action: n % 2 === 0 ? 'ledger.account.created' : 'identity.session.started',
    actor: { type: n % 2 === 0 ? 'operator' : 'customer', id: `actor_${n % 4}` },
    subject: { type: 'account', id: subjectId },
    outcome: 'success',
    detail: { n },
  };
}

test('checkpoint signs the head, and is a no-op until the head moves', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql, signingKey: key });
  assert.equal(await audit.checkpoint(), null, 'an empty chain has nothing to sign');
  await db.sql.begin((tx) => audit.append(tx, [entry(1), entry(2), entry(3)]));
  const c = await audit.checkpoint();
  assert.ok(c);
  assert.equal(c.seq, 3n);
  assert.equal(c.keyId, key.keyId);
  assert.ok(verify(null, checkpointMessage(c.seq, c.headHash), key.publicKey, c.signature));
  assert.equal(await audit.checkpoint(), null);
  await db.sql.begin((tx) => audit.append(tx, [entry(4)]));
  assert.equal((await audit.checkpoint())?.seq, 4n);
  const [count] = await db.sql<{ n: bigint }[]>`select count(*) as n from audit_entries`;
  assert.equal(count?.n, 4n, 'a checkpoint records no audit entry of its own');
});

test('exported checkpoints are plain JSON and verify after a round trip', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql, signingKey: key });
  for (let i = 1; i <= 3; i++) {
    await db.sql.begin((tx) => audit.append(tx, [entry(i)]));
    await audit.checkpoint();
  }
  const exported = JSON.parse(JSON.stringify(await audit.exportCheckpoints()));
  assert.equal(exported.length, 3);
  assert.deepEqual(Object.keys(exported[0]).sort(), [
    'created_at',
    'head_hash',
    'key_id',
    'public_key',
    'seq',
    'signature',
  ]);
  assert.equal(exported[0].public_key, key.publicKeyRaw.toString('base64'));
  const page = await audit.exportCheckpoints({ afterSeq: 1n, limit: 1 });
  assert.deepEqual(
    page.map((c) => c.seq),
    ['2'],
  );
  // Verification by someone who holds only the public key and the exported file.
  const auditor = createAudit({ clock: manualClock(), sql: db.sql });
  const publicKey = exported[0].public_key;
  const r = await auditor.verify({ publicKey, exportedCheckpoints: exported });
  assert.deepEqual(r, {
    ok: true,
    entries: 3n,
    checkpoints: 3,
    exportedCheckpoints: 3,
    uncoveredEntries: 0n,
    anchor: null,
  });
  const untrusting = await auditor.verify();
  assert.equal(untrusting.ok, false, 'with no trusted key a checkpoint cannot be accepted');
});

test('verify streams in pages: a chain longer than the page verifies the same', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql, signingKey: key });
  for (let i = 0; i < 10; i++) {
    const batch = Array.from({ length: 7 }, (_, j) => entry(i * 7 + j));
    await db.sql.begin((tx) => audit.append(tx, batch));
    if (i % 3 === 0) await audit.checkpoint();
  }
  const big = await audit.verify();
  const small = await audit.verify({ pageEntries: 4 });
  assert.deepEqual(big, {
    ok: true,
    entries: 70n,
    checkpoints: 4,
    exportedCheckpoints: 0,
    uncoveredEntries: 0n,
    anchor: null,
  });
  assert.deepEqual(small, big);
});

test('concurrent appends from several connections make one contiguous, valid chain', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql, signingKey: key });
  const pools = Array.from({ length: 6 }, () => connect(db.url, { connectionsMax: 2 }));
  t.after(() => Promise.all(pools.map((p) => p.end({ timeout: 5 }))));
  await Promise.all(
    pools.map(async (pool, w) => {
      for (let i = 0; i < 20; i++) {
        await pool.begin((tx) => audit.append(tx, [entry(w * 100 + i), entry(w * 100 + i + 50)]));
        if (i % 7 === 0) await audit.checkpoint();
      }
    }),
  );
  const r = await audit.verify();
  assert.equal(
    r.ok,
    true,
    JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  assert.equal(r.ok && r.entries, 240n);
  const seqs = await db.sql<{ seq: bigint }[]>`select seq from audit_entries order by seq`;
  assert.deepEqual(
    seqs.map((s) => s.seq),
    Array.from({ length: 240 }, (_, i) => BigInt(i + 1)),
  );
});

test('listEntries filters by subject, actor and action and pages by afterSeq', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql });
  await db.sql.begin((tx) =>
    audit.append(
      tx,
      Array.from({ length: 12 }, (_, i) => entry(i + 1)),
    ),
  );
  const bySubject = await audit.listEntries({
    subjectType: 'account',
    subjectId: 'acc_0',
    limit: 100,
  });
  assert.deepEqual(
    bySubject.map((e) => e.seq),
    [3n, 6n, 9n, 12n],
  );
  const byActor = await audit.listEntries({ actorType: 'operator', actorId: 'actor_2', limit: 9 });
  assert.deepEqual(
    byActor.map((e) => e.seq),
    [2n, 6n, 10n],
  );
  const action = 'ledger.account.created';
  const byAction = await audit.listEntries({ action, afterSeq: 6n, limit: 2 });
  assert.deepEqual(
    byAction.map((e) => e.seq),
    [8n, 10n],
  );
  await assert.rejects(audit.listEntries({ limit: 100_000 }), /limit/);
});

test('the checkpoint timer signs when the head moved and stops cleanly', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: manualClock(), sql: db.sql, signingKey: key });
  const log = createLogger({ level: 'silent' });
  await db.sql.begin((tx) => audit.append(tx, [entry(1)]));
  const stop = audit.startCheckpointTimer(0.05, log);
  await new Promise((r) => setTimeout(r, 300));
  await db.sql.begin((tx) => audit.append(tx, [entry(2)]));
  await new Promise((r) => setTimeout(r, 300));
  await stop();
  const seqs = (await audit.exportCheckpoints()).map((c) => c.seq);
  assert.deepEqual(seqs, ['1', '2'], 'one checkpoint per head position, none while it stood still');
  const noKey = createAudit({ clock: manualClock(), sql: db.sql });
  assert.throws(() => noKey.startCheckpointTimer(1, log), { code: 'audit_signing_key_missing' });
});
