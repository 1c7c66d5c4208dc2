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

// The operator's checks as an operator runs them: `kinko ledger check` and `kinko audit
// verify` pass on an intact database and fail, naming the first problem, after tampering.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function kinko(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/kinko.mjs', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('kinko ledger check and audit verify: ok when intact, non-zero naming the problem', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cli-'));
  t.after(() => fs.rmSync(keyDir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: db.url,
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keyDir, 'audit.pem'),
    KINKO_ENV: 'test',
  };
  const config = loadConfig({ ...process.env, ...env });
  const { ledger, audit } = createModules(config, capturedLogger().log, db.sql, systemClock);
  const [a, b] = [uuidv7(), uuidv7()];
  await ledger.createAccounts([
    { id: a, currency: 'JPY', code: 1 },
    { id: b, currency: 'JPY', code: 2, flags: { debitsMustNotExceedCredits: true } },
  ]);
  const results = await ledger.createTransfers([
    {
      id: uuidv7(),
      debitAccountId: a,
      creditAccountId: b,
      amount: 1000n,
      currency: 'JPY',
      code: 1,
    },
    { id: uuidv7(), debitAccountId: b, creditAccountId: a, amount: 300n, currency: 'JPY', code: 1 },
  ]);
  assert.deepEqual(
    results.map((r) => r.result),
    ['ok', 'ok'],
  );
  await audit.checkpoint();

  let r = kinko(['ledger', 'check'], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /ledger check ok/);
  r = kinko(['audit', 'verify'], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /audit verify ok: \d+ entries, 1 signed checkpoints/);
  assert.match(r.out, /; 0 entries not yet covered by a checkpoint/);
  assert.match(r.out, /anchor .*audit-anchor\.jsonl: checkpoint at \d+ matches \(1 lines\)/);
  assert.equal(kinko(['audit', 'verify', '--anchor', path.join(keyDir, 'none')], env).code, 2);
  r = kinko(['audit', 'export'], env);
  assert.equal(r.code, 0, r.out);
  const exportedFile = path.join(keyDir, 'checkpoints.json');
  fs.writeFileSync(exportedFile, r.out);

  await db.sql`update ledger_accounts set credits_posted = credits_posted + 1 where id = ${b}`;
  r = kinko(['ledger', 'check'], env);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`FAILED.*${b}|FAILED.*JPY`));

  // Tampering takes the schema owner's rights: the serving role may not disable triggers.
  await db.owner.unsafe('alter table audit_entries disable trigger audit_entries_append_only');
  await db.owner`update audit_entries set outcome = 'failure' where seq = 2`;
  r = kinko(['audit', 'verify', '--exported', exportedFile], env);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /FAILED at entry 2/);
});

test('kinko --help lists the commands; an unknown command is a usage error', () => {
  const help = kinko(['--help'], {});
  assert.equal(help.code, 0);
  for (const c of ['serve', 'migrate', 'ledger check', 'audit verify'])
    assert.match(help.out, new RegExp(c));
  assert.equal(kinko(['launch', 'rockets'], {}).code, 2);
});
