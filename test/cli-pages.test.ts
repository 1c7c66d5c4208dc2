import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDb } from './helpers/db.ts';

// `kinko pages`: an operator's view of the payment-page monitor from a shell. Without a
// browser, `check` and `list` say monitoring is off and exit non-zero, so a cron job or a
// deployment check cannot mistake "watched nothing" for "nothing changed".

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function kinko(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/kinko.mjs', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('kinko pages check and list without a browser: monitoring is off, exit 1', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cli-pages-'));
  t.after(() => fs.rmSync(keyDir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: db.url,
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: path.join(keyDir, 'data'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keyDir, 'audit.pem'),
    KINKO_KEK_FILE: path.join(keyDir, 'vault-keys.json'),
    KINKO_PAGEWATCH_BROWSER: '/nonexistent/chromium',
  };
  const check = kinko(['pages', 'check'], env);
  assert.equal(check.code, 1, check.out);
  assert.match(check.out, /monitoring is OFF: no browser at \/nonexistent\/chromium/);
  const list = kinko(['pages', 'list'], env);
  assert.equal(list.code, 1, list.out);
  assert.match(list.out, /monitoring OFF/);
  assert.match(
    list.out,
    /kinko {2}awaiting_first_load {2}http:\/\/localhost:8080\/3ds\/sample-challenge/,
  );
  const approve = kinko(['pages', 'approve'], env);
  assert.equal(approve.code, 2);
});
