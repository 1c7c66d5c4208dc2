import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTEXTS,
  e164,
  groupings,
  syntheticCards,
  TEST_CARDS,
  timestampMs,
  uuid,
  uuidV7,
} from '../../test/helpers/card-samples.ts';
import {
  brandOf,
  cardBrand,
  findCardNumbers,
  holdsCardNumber,
  luhnValid,
  maskCardNumbers,
} from './card-numbers.ts';

// The one card-number detector: every published test card is found in every printed grouping
// and every context (recall 100 %), and the strings that were taken for cards are not: UUIDs
// (0 in 200,000), millisecond timestamps and international phone numbers (at most 1 in
// 100,000). `npm run bench:card-detect` runs the same measures over 1,000,000 of each.

const SAMPLES = 200_000;

function falsePositives(make: () => string, n: number): string[] {
  const found: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = make();
    if (holdsCardNumber(s)) found.push(s);
  }
  return found;
}

test('every test card of every brand, in every grouping and context, is found', () => {
  const cards = [...Object.values(TEST_CARDS).flat(), ...syntheticCards()];
  let tried = 0;
  for (const pan of cards) {
    assert.ok(cardBrand(pan), `${pan} is a card number`);
    for (const written of groupings(pan)) {
      for (const context of CONTEXTS) {
        const text = context(written);
        const found = findCardNumbers(text);
        assert.equal(found.length, 1, `${text}`);
        assert.equal(found[0]!.digits, pan, text);
        assert.equal(found[0]!.brand, brandOf(pan), text);
        tried += 1;
      }
    }
  }
  assert.ok(tried > 500, `${tried} spellings`);
});

test('the strings reported as false alarms are not cards', () => {
  for (const text of [
    'fc845004-91f7-4be7-9c54-991809612034',
    'Idempotency-Key: fc845004-91f7-4be7-9c54-991809612034',
    'idem-1796321000004',
    '1796321000004',
    '+8613890883780',
    '8613890883780@example.com',
    '12345678-1234-1234-1234-123456789012',
    '00000000-4242-4242-4242-424242424242',
    'sha 4242424242424242abcdef',
    'order_4242424242424242',
    'v1.4242424242424242',
    'v1.2.4242424242424242',
    '0.6348019999995813',
    '4242424242424242.5',
    'ref 42424242-42424242',
    '4242x4242x4242x4242',
    '42424242424242424242',
    'IBAN 4242 4242 4242 4242 42424',
    'ref 1234 4242 4242 4242 4242',
    'DE89 4242 4242 4242 4242 00',
  ]) {
    assert.deepEqual(findCardNumbers(text), [], text);
  }
});

test('a card stays a card where it stands apart: labels, URLs, escapes, after a "+"', () => {
  for (const text of [
    'pan=4242424242424242',
    '/cards/4242424242424242/',
    'card:4242-4242-4242-4242',
    '4242424242424242@example.com',
    'paid\\n4242424242424242',
    'card%204242424242424242',
    'https://4242424242424242.evil.example/',
    '/x/4242424242424242.js',
    'pay.4242-4242-4242-4242@example.jp',
    '+4242424242424242',
    '+4242 4242 4242 4242',
    'Card 4242 4242 4242 4242',
    'qty 2 4242 4242 4242 4242',
  ]) {
    assert.ok(holdsCardNumber(text), text);
  }
});

test('masking takes a security code written after the number, and keeps the rest', () => {
  assert.equal(maskCardNumbers('6011 0009 9013 9424 123 ok'), '[pan redacted] ok');
  assert.equal(maskCardNumbers('4242 4242 4242 4242 12/29'), '[pan redacted] 12/29');
  assert.equal(maskCardNumbers('3782 822463 10005 1234.'), '[pan redacted].');
  assert.equal(maskCardNumbers('4242424242424242 123abc'), '[pan redacted] 123abc');
  const two = 'x4242424242424242 4111 1111 1111 1111';
  assert.equal(maskCardNumbers(two), 'x4242424242424242 [pan redacted]');
  assert.equal(
    maskCardNumbers('a 4242424242424242 b 5555555555554444'),
    'a [pan redacted] b [pan redacted]',
  );
  // A 19-digit card printed 4-4-4-4-3 is one number, not a card and a code.
  const [f] = findCardNumbers('6205 5000 0000 0000 004');
  assert.equal(f?.digits, '6205500000000000004');
});

test('Luhn, brand and length decide: a wrong check digit or a brand-less prefix is no card', () => {
  assert.ok(luhnValid('79927398713'));
  assert.ok(!luhnValid('4242424242424241'));
  assert.equal(cardBrand('4242424242424241'), undefined);
  assert.equal(cardBrand('3782822463100052'), undefined, 'Amex has 15 digits');
  assert.equal(cardBrand('9999999999999995'), undefined, 'no brand issues 9');
  assert.equal(cardBrand('5555555555554444'), 'mastercard');
});

test(`UUIDs: no false positive in ${SAMPLES.toLocaleString('en')} (v4 and v7)`, () => {
  assert.deepEqual(falsePositives(uuid, SAMPLES / 2), []);
  assert.deepEqual(
    falsePositives(() => `transfer ${uuidV7()} posted`, SAMPLES / 2),
    [],
  );
});

test(`millisecond timestamps and E.164 numbers: at most 1 in 100,000`, () => {
  const limit = SAMPLES / 100_000;
  const bare = falsePositives(() => timestampMs(), SAMPLES);
  assert.ok(bare.length <= limit, `bare timestamps: ${bare.slice(0, 5).join(', ')}`);
  const token = falsePositives(() => `idem-${timestampMs()}`, SAMPLES);
  assert.ok(token.length <= limit, `idem- timestamps: ${token.slice(0, 5).join(', ')}`);
  const phones = falsePositives(() => `sms to ${e164()}`, SAMPLES);
  assert.ok(phones.length <= limit, `phones: ${phones.slice(0, 5).join(', ')}`);
});
