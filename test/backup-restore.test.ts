import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort } from './helpers/free-port.ts';
import { capturedLogger } from './helpers/log.ts';
import { startOnOwnDatabase, type OwnDatabasePlatform } from './helpers/own-database.ts';

// `kinko backup` while the platform takes payments, then `kinko restore` into a new, empty
// data directory on another port: the restored database passes `kinko ledger check` and
// `kinko audit verify`, holds every payment acknowledged before the snapshot, and the backup
// file holds none of the key files it names.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-backup-'));
fs.chmodSync(work, 0o711);
const dataDir = path.join(work, 'data');
const keysDir = path.join(work, 'keys');
const logs = capturedLogger('warn');
let own: OwnDatabasePlatform;
let secretKey = '';
let cardToken = '';

before(async () => {
  fs.mkdirSync(dataDir);
  own = await startOnOwnDatabase({ dataDir, keysDir, shop: 'Backup Shop', log: logs.log });
  ({ secretKey, cardToken } = own);
});

after(async () => {
  await own?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function kinko(args: string[], extra: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/kinko.mjs', ...args], {
      cwd: root,
      env: { ...process.env, ...own.env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

let keyCounter = 0;

async function pay(i: number): Promise<string | undefined> {
  const post = async (url: string, body: object) => {
    const res = await fetch(`${own.platform.url}${url}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secretKey}`,
        'content-type': 'application/json',
        'idempotency-key': `backup-${++keyCounter}`,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { id?: string; status?: string } };
  };
  const created = await post('/v1/payments', {
    amount: 500 + i,
    currency: 'JPY',
    payment_method: cardToken,
  });
  if (created.status !== 201) return undefined;
  const confirmed = await post(`/v1/payments/${String(created.json.id)}/confirm`, {});
  return confirmed.json.status === 'succeeded' ? String(created.json.id) : undefined;
}

test('a backup taken under load restores into an empty data directory and checks out', async () => {
  const paid: string[] = [];
  const stop = { now: false };
  const shopper = async () => {
    for (let i = 0; i < 2000 && !stop.now; i++) {
      const id = await pay(i);
      if (id) paid.push(id);
    }
  };
  // A signed checkpoint first, so the restored chain's signatures are verified too.
  await pay(0);
  assert.ok(await own.platform.modules.audit.checkpoint(), 'a checkpoint was signed');
  const load = Promise.all([shopper(), shopper()]);
  let backedUp: { code: number | null; out: string };
  let paidBefore: string[];
  const file = path.join(work, 'kinko.backup');
  try {
    for (let i = 0; paid.length < 10; i++) {
      assert.ok(i < 600, 'payments succeed before the backup');
      await new Promise((r) => setTimeout(r, 50));
    }
    paidBefore = [...paid];
    backedUp = await kinko(['backup', file]);
  } finally {
    stop.now = true;
    await load;
  }
  assert.equal(backedUp.code, 0, backedUp.out);
  assert.match(backedUp.out, /one snapshot at/);
  assert.match(backedUp.out, /vault key-encryption keys \(card data\): .*vault-keys\.json/);
  assert.ok(paid.length > paidBefore.length, 'payments went on while the backup was taken');

  // No key file's bytes are in the backup.
  const content = gunzipSync(fs.readFileSync(file)).toString('latin1');
  for (const name of fs.readdirSync(keysDir)) {
    const key = fs.readFileSync(path.join(keysDir, name)).toString('latin1').trim();
    if (key.length > 16) assert.ok(!content.includes(key), `${name} is not in the backup`);
  }

  // The restored host has the same key files but not this host's audit anchor, which has
  // since recorded checkpoints the backup predates.
  const restoredKeys = path.join(work, 'restored-keys');
  fs.mkdirSync(restoredKeys);
  fs.copyFileSync(
    own.env.KINKO_AUDIT_SIGNING_KEY_FILE,
    path.join(restoredKeys, 'audit-signing.key'),
  );
  const there = {
    KINKO_DATA_DIR: path.join(work, 'restored'),
    KINKO_PG_PORT: String(await freePort()),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(restoredKeys, 'audit-signing.key'),
  };
  const restored = await kinko(['restore', file], there);
  assert.equal(restored.code, 0, restored.out);
  assert.match(restored.out, /restored .* rows into embedded postgres/);
  assert.doesNotMatch(restored.out, /MISSING|DIFFERENT/);
  const again = await kinko(['restore', file], there);
  assert.equal(again.code, 1, 'a second restore into the same database is refused');
  assert.match(again.out, /empty database/);

  const ledger = await kinko(['ledger', 'check'], there);
  assert.equal(ledger.code, 0, ledger.out);
  const audit = await kinko(['audit', 'verify'], there);
  assert.equal(audit.code, 0, audit.out);
  assert.match(audit.out, /audit verify ok: \d+ entries, [1-9]\d* signed checkpoints/);
  const count = await kinko(['backup', path.join(work, 'again.backup')], there);
  assert.equal(count.code, 0, count.out);
  const kept = gunzipSync(fs.readFileSync(path.join(work, 'again.backup'))).toString();
  for (const id of paidBefore) assert.ok(kept.includes(id), `payment ${id} was restored`);
  process.stderr.write(
    `backup: ${paidBefore.length} payments before, ${paid.length} after; ` +
      `${backedUp.out.split('\n')[0]}\n${ledger.out.trim()}\n${audit.out.trim()}\n`,
  );
});
