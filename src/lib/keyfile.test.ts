import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyFileError, loadOrCreateKeyFile } from './keyfile.ts';

test('a key file is created 0600 once, then read back unchanged', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-keyfile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys', 'k.key');
  const first = loadOrCreateKeyFile(file);
  assert.equal(first.length, 32);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(loadOrCreateKeyFile(file), first);
});

test('a key file readable by others, or of the wrong size, is refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-keyfile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'k.key');
  loadOrCreateKeyFile(file);
  fs.chmodSync(file, 0o644);
  assert.throws(() => loadOrCreateKeyFile(file), KeyFileError);
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, Buffer.alloc(16).toString('base64'));
  assert.throws(() => loadOrCreateKeyFile(file), /16-byte|32-byte/);
});
