import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createModules } from '../src/main.ts';
import { createTestDb } from './helpers/db.ts';
import { capturedLogger } from './helpers/log.ts';

// The whole path a merchant's auditor takes, as commands: the operator runs `kinko audit
// prove` and `kinko audit public-key`; the auditor runs docs/verify-proof.mjs on the two
// files, with nothing else.

const root = path.resolve(import.meta.dirname, '..');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('kinko audit prove and public-key, checked by docs/verify-proof.mjs', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-prove-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: db.url,
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'keys', 'audit.pem'),
    KINKO_ENV: 'test',
  };
  const config = loadConfig({ ...process.env, ...env });
  const { ledger, audit } = createModules(config, capturedLogger().log, db.sql, systemClock);
  const [a, b] = [uuidv7(), uuidv7()];
  await ledger.createAccounts([a, b].map((id) => ({ id, currency: 'JPY', code: 1 })));
  const id = uuidv7();
  const other = { debitAccountId: a, creditAccountId: b, currency: 'JPY', code: 1 };
  await ledger.createTransfers([
    { id: uuidv7(), amount: 1n, ...other },
    { id, amount: 1500n, ...other },
    { id: uuidv7(), amount: 2n, ...other },
  ]);

  let r = run(['bin/kinko.mjs', 'audit', 'prove', id], env);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, /no signed checkpoint covers it yet.*\(not_yet_checkpointed\)/);
  await audit.checkpoint();
  r = run(['bin/kinko.mjs', 'audit', 'prove', id], env);
  assert.equal(r.code, 0, r.err);
  fs.writeFileSync(path.join(dir, 'proof.json'), r.out);
  r = run(['bin/kinko.mjs', 'audit', 'public-key'], env);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^-----BEGIN PUBLIC KEY-----/);
  assert.match(r.err, /key id [0-9a-f]{16}, fingerprint sha256:[0-9a-f]{64}/);
  fs.writeFileSync(path.join(dir, 'key.pem'), r.out);

  const script = path.join(root, 'docs', 'verify-proof.mjs');
  r = run([script, path.join(dir, 'proof.json'), '--public-key', path.join(dir, 'key.pem')]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`^OK: transfer ${id}: 1500 JPY .* leaf 1 of 3 in ledger batch`));

  r = run(['bin/kinko.mjs', 'audit', 'prove', uuidv7()], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /no such transfer \(transfer_not_found\)/);
  assert.equal(run(['bin/kinko.mjs', 'audit', 'prove'], env).code, 2);
});
