import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createTestDb } from './helpers/db.ts';
import { manualClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { loadConfig } from '../src/config.ts';
import { createAudit, generateAuditSigningKey } from '../src/audit/index.ts';
import {
  createLedger,
  ledgerAuditCommitments,
  type TransferInput,
  type TransferProof,
} from '../src/ledger/index.ts';

// `kinko audit prove`: a proof of one transfer, checked offline by the dependency-free
// docs/verify-proof.mjs with the checkpoint public key alone. A proof altered anywhere (the
// transfer, the audit path, an entry, the signature) or checked with another key is refused.

const SCRIPT = path.join(import.meta.dirname, '..', 'docs', 'verify-proof.mjs');
const run = promisify(execFile);

interface Verifier {
  verifyProof(proof: unknown, publicKeyPem: string): string;
}
const verifier = (await import(pathToFileURL(SCRIPT).href)) as Verifier;

const key = generateAuditSigningKey();
const pem = String(key.publicKey.export({ type: 'spki', format: 'pem' }));
const limits = loadConfig({ KINKO_ENV: 'test' }).limits;

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const commitments = [ledgerAuditCommitments];
  const audit = createAudit({ clock, sql: db.sql, signingKey: key, commitments });
  const ledger = createLedger({ sql: db.sql, clock, audit, limits });
  const [a, b] = [uuidv7(), uuidv7()];
  await ledger.createAccounts([a, b].map((id) => ({ id, currency: 'JPY', code: 1 })));
  const transfer = (amount: bigint, extra: Partial<TransferInput> = {}): TransferInput => ({
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount,
    currency: 'JPY',
    code: 7,
    ...extra,
  });
  return { db, audit, ledger, transfer };
}

/** Runs the script as a merchant would; resolves to [exit code, output]. */
async function verifyOffline(proof: unknown): Promise<[number, string]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-proof-'));
  try {
    fs.writeFileSync(path.join(dir, 'proof.json'), JSON.stringify(proof));
    fs.writeFileSync(path.join(dir, 'key.pem'), pem);
    const args = [SCRIPT, 'proof.json', '--public-key', 'key.pem'];
    const r = await run(process.execPath, args, { cwd: dir }).catch(
      (e: { code: number; stdout: string }) => ({ stdout: e.stdout, code: e.code }),
    );
    return ['code' in r ? r.code : 0, r.stdout.trim()];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('every transfer of a batch proves offline; altered proofs are refused', async (t) => {
  const { audit, ledger, transfer } = await setup(t);
  // Seven transfers (an unbalanced tree), one with user data, then a batch of one and
  // later entries, so the chain from the batch entry to the checkpoint is not empty.
  const batch = Array.from({ length: 7 }, (_, i) => transfer(BigInt(100 + i)));
  batch[3] = transfer(4200n, { userData: 'order #12 — 注文' });
  await ledger.createTransfers(batch);
  const lone = transfer(9n);
  await ledger.createTransfers([lone]);
  assert.deepEqual(await ledger.proveTransfer(lone.id), {
    ok: false,
    reason: 'not_yet_checkpointed',
  });
  await ledger.createTransfers([transfer(1n), transfer(2n)]);
  assert.ok(await audit.checkpoint());

  const proofs: TransferProof[] = [];
  for (const x of [...batch, lone]) {
    const r = await ledger.proveTransfer(x.id);
    assert.ok(r.ok, JSON.stringify(r));
    proofs.push(r.proof);
    assert.match(verifier.verifyProof(r.proof, pem), new RegExp(`^transfer ${x.id}: `));
  }
  const p = proofs[3]!;
  assert.equal(p.transfer.amount, '4200');
  assert.equal(p.batch.tree_size, 7);
  assert.equal(p.batch.leaf_index, 3);
  assert.equal(p.chain.length, 2, 'the two later batches lead to the checkpoint');

  const [code, out] = await verifyOffline(p);
  assert.equal(code, 0, out);
  assert.match(out, /^OK: transfer .* 4200 JPY .* leaf 3 of 7 .* signed by key sha256:/);

  const refusals: [string, (q: TransferProof) => void, RegExp][] = [
    ['amount', (q) => (q.transfer.amount = '420000'), /fields do not match its canonical/],
    [
      'amount and canonical bytes',
      (q) => {
        q.transfer.amount = '420000';
        const bytes = Buffer.from(q.transfer.canonical, 'hex');
        bytes.writeBigInt64BE(420000n, 52);
        q.transfer.canonical = bytes.toString('hex');
      },
      /audit path does not lead to the batch root/,
    ],
    [
      'path node',
      (q) =>
        (q.batch.audit_path[1] = q.batch.audit_path[1]!.replace(/^./, (c) =>
          c === '0' ? '1' : '0',
        )),
      /audit path does not lead/,
    ],
    ['leaf index', (q) => (q.batch.leaf_index = 2), /audit path does not lead/],
    [
      'batch root, in the proof and its entry',
      (q) => {
        const forged = '00'.repeat(32);
        q.entry.detail = q.entry.detail.replace(q.batch.root, forged);
        q.batch.root = forged;
      },
      /audit path does not lead/,
    ],
    [
      'entry detail',
      (q) => (q.entry.detail = q.entry.detail.replace('"transfers":7', '"transfers":7 ')),
      /entry \d+: hash does not match its content/,
    ],
    ['a later entry', (q) => (q.chain[0]!.actor_type = 'cli'), /hash does not match/],
    ['a later entry dropped', (q) => q.chain.pop(), /does not end at the checkpoint/],
    [
      'signature',
      (q) => {
        const sig = Buffer.from(q.checkpoint.signature, 'base64');
        sig[10]! ^= 1;
        q.checkpoint.signature = sig.toString('base64');
      },
      /checkpoint signature is invalid/,
    ],
  ];
  for (const [what, alter, why] of refusals) {
    const q = structuredClone(p);
    alter(q);
    assert.throws(() => verifier.verifyProof(q, pem), why, what);
  }
  // The same refusals through the script, for the amount, a path node and the signature.
  for (const i of [1, 2, 8]) {
    const q = structuredClone(p);
    refusals[i]![1](q);
    const [c, o] = await verifyOffline(q);
    assert.equal(c, 1, o);
    assert.match(o, /^REFUSED: /);
  }
  // Checked with another key, a genuine proof is refused.
  const other = generateAuditSigningKey().publicKey.export({ type: 'spki', format: 'pem' });
  assert.throws(() => verifier.verifyProof(p, String(other)), /signed by key .*, not this one/);
});

test('no proof for an unknown transfer or a batch that no longer verifies', async (t) => {
  const { db, audit, ledger, transfer } = await setup(t);
  const x = transfer(5n);
  await ledger.createTransfers([x, transfer(6n)]);
  await audit.checkpoint();
  assert.deepEqual(await ledger.proveTransfer(uuidv7()), {
    ok: false,
    reason: 'transfer_not_found',
  });
  assert.deepEqual(await ledger.proveTransfer('not-a-uuid'), {
    ok: false,
    reason: 'transfer_not_found',
  });
  await db.owner`update ledger_transfers set amount = 50 where id = ${x.id}`;
  assert.deepEqual(await ledger.proveTransfer(x.id), {
    ok: false,
    reason: 'batch_does_not_verify',
  });
});
