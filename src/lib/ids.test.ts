import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid, uuidv7 } from './ids.ts';

test('uuidv7 follows RFC 9562: version 7, variant 10, time in the first 48 bits, ordered', () => {
  const ms = Date.UTC(2026, 10, 21);
  const id = uuidv7(ms);
  assert.ok(isUuid(id), id);
  assert.equal(id[14], '7');
  assert.match(id[19] ?? '', /[89ab]/);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), ms);
  assert.ok(uuidv7(ms) < uuidv7(ms + 1));
  const many = new Set(Array.from({ length: 10_000 }, () => uuidv7(ms)));
  assert.equal(many.size, 10_000);
});
