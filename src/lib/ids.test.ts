import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid, publicId, uuidv7 } from './ids.ts';

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

test('isUuid accepts lower-case 8-4-4-4-12 hex only', () => {
  assert.ok(isUuid('01890a5d-ac96-774b-bcce-b302099a8057'));
  assert.ok(isUuid('00000000-0000-0000-0000-000000000000'));
  for (const bad of [
    '01890A5D-AC96-774B-BCCE-B302099A8057',
    '01890a5d-ac96-774b-bcce-b302099a805',
    '01890a5d-ac96-774b-bcce-b302099a80577',
    '01890a5dxac96-774b-bcce-b302099a8057',
    '01890a5d-ac96-774b-bcce-b302099a805g',
    '01890a5d0ac960774b0bcce0b302099a8057',
    '',
  ]) {
    assert.ok(!isUuid(bad), bad);
  }
});

test('uuidv7 keeps the full 48-bit time and random bits across the random pool', () => {
  const ms = 2 ** 48 - 1;
  const id = uuidv7(ms);
  assert.equal(id.slice(0, 13), 'ffffffff-ffff');
  const ids = Array.from({ length: 1000 }, () => uuidv7(0));
  assert.equal(new Set(ids).size, 1000);
  for (const x of ids)
    assert.match(x, /^00000000-0000-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('publicId draws distinct random ids across pool refills, of the asked length', () => {
  const ids = Array.from({ length: 2000 }, () => publicId('req', 12));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^req_[A-Za-z0-9_-]{16}$/);
  // Odd sizes straddle the pool's end; a size larger than the pool still works.
  const odd = Array.from({ length: 500 }, () => publicId('pay', 13));
  assert.equal(new Set(odd).size, odd.length);
  assert.match(publicId('big', 5000), /^big_[A-Za-z0-9_-]{6667}$/);
});
