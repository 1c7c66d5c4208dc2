import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyIdOf, loadOrCreateAuditSigningKey, rawPublicKey } from './keys.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-audit-key-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a missing key file is created 0600 in a 0700 directory and reloads as the same key', (t) => {
  const file = path.join(tempDir(t), 'keys', 'audit.pem');
  const first = loadOrCreateAuditSigningKey(file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.match(fs.readFileSync(file, 'utf8'), /BEGIN PRIVATE KEY/);
  const again = loadOrCreateAuditSigningKey(file);
  assert.equal(again.keyId, first.keyId);
  assert.equal(first.privateKey.asymmetricKeyType, 'ed25519');
});

test('key id is the first 16 hex characters of SHA-256 over the raw public key', (t) => {
  const key = loadOrCreateAuditSigningKey(path.join(tempDir(t), 'k.pem'));
  const raw = rawPublicKey(key.publicKey);
  assert.equal(raw.length, 32);
  assert.deepEqual(key.publicKeyRaw, raw);
  const expected = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  assert.equal(key.keyId, expected);
  assert.equal(keyIdOf(key.publicKey), expected);
});

test('a key file readable by group or others is refused, naming the file', (t) => {
  const file = path.join(tempDir(t), 'k.pem');
  loadOrCreateAuditSigningKey(file);
  for (const mode of [0o640, 0o604, 0o644, 0o660]) {
    fs.chmodSync(file, mode);
    assert.throws(
      () => loadOrCreateAuditSigningKey(file),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'audit_signing_key_exposed');
        assert.ok(err.message.includes(file));
        return true;
      },
    );
  }
});

test('a key file that is not an Ed25519 private key is refused', (t) => {
  const file = path.join(tempDir(t), 'k.pem');
  fs.writeFileSync(file, 'not a key', { mode: 0o600 });
  assert.throws(() => loadOrCreateAuditSigningKey(file), { code: 'audit_signing_key_invalid' });
});
