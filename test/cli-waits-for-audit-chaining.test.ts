import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createModules } from '../src/main.ts';
import { createTestDb } from './helpers/db.ts';
import { capturedLogger } from './helpers/log.ts';

// A CLI verb that writes audit entries used to close its pool while the chainer (due a few
// milliseconds after the append) was still to run or running: the command ended with the
// warning "audit chaining failed; retried later" (CONNECTION_ENDED) and its entries were left
// unchained until some later process chained them. The CLI now waits for the chaining
// before it closes the pool.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

test('a CLI verb ends with its audit entries chained and no chaining warning', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cli-chain-'));
  t.after(() => fs.rmSync(keyDir, { recursive: true, force: true }));
  const env = {
    DATABASE_URL: db.url,
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keyDir, 'audit.pem'),
    KINKO_ENV: 'test',
  };
  const config = loadConfig({ ...process.env, ...env });
  const { audit } = createModules(config, capturedLogger().log, db.sql, systemClock);
  for (let i = 0; i < 3; i++) {
    const args = ['merchants', 'create', '--name', `Chain Shop ${i}`];
    args.push('--owner-email', `owner${i}@chain.example`, '--store', 'Main', '--mcc', '5411');
    args.push('--city', 'Shibuya', '--postal-code', '150-0002');
    const r = spawnSync(process.execPath, ['bin/kinko.mjs', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    assert.match(out, /secret key/);
    assert.doesNotMatch(out, /audit chaining failed|CONNECTION_ENDED/);
    // Read without chaining first: what the command left behind.
    assert.equal(await audit.unchainedEntries(), 0n, `run ${i} left entries unchained`);
  }
});
