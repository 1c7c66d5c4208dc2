import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalInventory,
  describe,
  difference,
  frameKey,
  inventoryHash,
  securityHeaders,
  type Inventory,
} from './inventory.ts';

const base: Inventory = {
  scripts: [
    { url: 'https://shop.example/app.js', sha256: 'a'.repeat(64) },
    { url: '', sha256: 'b'.repeat(64) },
  ],
  headers: { 'content-security-policy': "script-src 'nonce-*'" },
  frames: ['https://pay.kinko.example/hosted/fields'],
  form_actions: ['https://shop.example/order'],
};

test('two loads of an unchanged page are equal, whatever the order and the nonce', () => {
  const again: Inventory = {
    scripts: [...base.scripts].reverse(),
    headers: securityHeaders({
      'Content-Security-Policy': "script-src 'nonce-Zm9vYmFy'",
      'Content-Type': 'text/html',
    }),
    frames: [frameKey('https://pay.kinko.example/hosted/fields?pk=pk_live_x&origin=y')],
    form_actions: [...base.form_actions, ...base.form_actions],
  };
  assert.equal(difference(base, again), null);
  assert.ok(inventoryHash(base).equals(inventoryHash(again)));
  assert.deepEqual(canonicalInventory(again).headers, base.headers);
});

test('a new script, a changed body, a changed header, a new form action are named', () => {
  const changed: Inventory = {
    ...base,
    scripts: [
      { url: 'https://shop.example/app.js', sha256: 'c'.repeat(64) },
      { url: '', sha256: 'b'.repeat(64) },
      { url: 'https://cdn.evil.example/s.js', sha256: 'd'.repeat(64) },
    ],
    headers: { 'content-security-policy': 'script-src *' },
    form_actions: ['https://collector.example/'],
  };
  const d = difference(base, changed)!;
  assert.deepEqual(
    d.scripts_added.map((s) => s.url),
    ['https://cdn.evil.example/s.js'],
  );
  assert.deepEqual(
    d.scripts_changed.map((s) => s.approved_sha256),
    [['a'.repeat(64)]],
  );
  assert.deepEqual(
    d.headers_changed.map((h) => h.name),
    ['content-security-policy'],
  );
  assert.deepEqual(d.form_actions_added, ['https://collector.example/']);
  assert.deepEqual(d.form_actions_removed, ['https://shop.example/order']);
  assert.ok(describe(d).some((l) => l.startsWith('new script https://cdn.evil.example/s.js')));
});

test('a new inline script is an added script, not a changed one', () => {
  const inline = { ...base, scripts: [...base.scripts, { url: '', sha256: 'e'.repeat(64) }] };
  const d = difference(base, inline)!;
  assert.deepEqual(d.scripts_added, [{ url: '', sha256: 'e'.repeat(64) }]);
  assert.equal(d.scripts_changed.length, 0);
});
