import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envKeyProvider, fileKeyProvider, generateKeyringJson } from './keys.ts';
import { wrapAad } from './crypto.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-keytest-'));
}

test('the key file is created 0600 and a looser file is refused', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys', 'vault-keys.json');
  fileKeyProvider({ file, create: true });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  fs.chmodSync(file, 0o644);
  assert.throws(() => fileKeyProvider({ file }), /mode 644; it must be 0600/);
});

test('the key file must be outside the data directory', (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.throws(
    () =>
      fileKeyProvider({
        file: path.join(dir, 'data', 'k.json'),
        dataDir: path.join(dir, 'data'),
        create: true,
      }),
    /outside the data directory/,
  );
  assert.throws(() => fileKeyProvider({ file: path.join(dir, 'missing.json') }), /does not exist/);
});

test('wrap/unwrap by version; a new version leaves old keys readable until retired', async (t) => {
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kp = fileKeyProvider({ file: path.join(dir, 'k.json'), create: true });
  const dataKey = Buffer.alloc(32, 7);
  const w1 = await kp.wrap(dataKey, (v) => wrapAad('card_x', v));
  assert.equal(w1.version, 1);
  assert.equal(await kp.createVersion(), 2);
  const w2 = await kp.wrap(dataKey, (v) => wrapAad('card_x', v));
  assert.equal(w2.version, 2);
  assert.deepEqual(await kp.unwrap(1, w1.wrapped, wrapAad('card_x', 1)), dataKey);
  await assert.rejects(kp.unwrap(1, w1.wrapped, wrapAad('card_y', 1)), 'bound to the card');
  await kp.retire([1]);
  assert.deepEqual(await kp.versions(), [2]);
  await assert.rejects(kp.unwrap(1, w1.wrapped, wrapAad('card_x', 1)));
  assert.deepEqual(await kp.unwrap(2, w2.wrapped, wrapAad('card_x', 2)), dataKey);
  assert.notDeepEqual(await kp.fingerprintKey(), Buffer.alloc(32));
});

test('the environment adapter reads the same keyring and cannot rotate', async () => {
  const kp = envKeyProvider({ KINKO_VAULT_KEYS: generateKeyringJson() });
  const w = await kp.wrap(Buffer.alloc(32, 1), (v) => wrapAad('card_z', v));
  assert.deepEqual(
    await kp.unwrap(w.version, w.wrapped, wrapAad('card_z', w.version)),
    Buffer.alloc(32, 1),
  );
  await assert.rejects(kp.createVersion(), /rotates keys outside Kinko/);
  assert.throws(() => envKeyProvider({}), /KINKO_VAULT_KEYS is not set/);
});
