import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brandOf,
  displayOf,
  validateCard,
  validateCvc,
  validateExpiry,
  validateNumber,
} from './card.ts';

// Brands from the networks' published IIN ranges, checked with their published test numbers.

test('published test numbers are valid and get their brand', () => {
  const cases: Array<[string, string]> = [
    ['4242424242424242', 'visa'],
    ['4111111111111111', 'visa'],
    ['4222222222222', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['5105105105105100', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['2720990000000007', 'mastercard'],
    ['3566002020360505', 'jcb'],
    ['3530111333300000', 'jcb'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['30569309025904', 'diners'],
    ['36227206271667', 'diners'],
    ['6011111111111117', 'discover'],
    ['6011000990139424', 'discover'],
    ['6200000000000005', 'unionpay'],
    ['6205500000000000004', 'unionpay'],
  ];
  for (const [pan, brand] of cases) {
    const r = validateNumber(pan);
    assert.ok(!('field' in r), `${pan} should be valid: ${JSON.stringify(r)}`);
    assert.equal(r.brand, brand, pan);
  }
});

test('Mastercard 2-series edges: 2221 and 2720 are in, 2220 and 2721 are out', () => {
  assert.equal(brandOf('2221000000000009'), 'mastercard');
  assert.equal(brandOf('2720990000000007'), 'mastercard');
  assert.notEqual(brandOf('2220990000000000'), 'mastercard');
  assert.notEqual(brandOf('2721000000000000'), 'mastercard');
});

test('bad numbers name the field and the reason', () => {
  assert.deepEqual(validateNumber('4242424242424241'), { field: 'number', reason: 'luhn' });
  assert.deepEqual(validateNumber('4242'), { field: 'number', reason: 'length' });
  assert.deepEqual(validateNumber(''), { field: 'number', reason: 'format' });
  assert.deepEqual(validateNumber('42424242424'), { field: 'number', reason: 'length' });
  assert.deepEqual(validateNumber('4242x42424242424'), { field: 'number', reason: 'format' });
  assert.deepEqual(validateNumber('9999999999999995'), { field: 'number', reason: 'brand' });
  // Amex must be 15 digits: a Luhn-valid 16-digit number in 37 is not an Amex card.
  assert.deepEqual(validateNumber('3782822463100052'), { field: 'number', reason: 'length' });
  assert.ok(!('field' in validateNumber('4242 4242 4242 4242')));
  assert.ok(!('field' in validateNumber('4242-4242-4242-4242')));
});

test('expiry: valid through the end of its month, never in the past', () => {
  const now = new Date(Date.UTC(2026, 4, 31, 23, 0)); // 31 May 2026
  assert.equal(validateExpiry(5, 2026, now), undefined);
  assert.deepEqual(validateExpiry(4, 2026, now), { field: 'exp_year', reason: 'expired' });
  assert.deepEqual(validateExpiry(12, 2025, now), { field: 'exp_year', reason: 'expired' });
  assert.deepEqual(validateExpiry(13, 2027, now), { field: 'exp_month', reason: 'range' });
  assert.deepEqual(validateExpiry(0, 2027, now), { field: 'exp_month', reason: 'range' });
  assert.deepEqual(validateExpiry(1, 2099, now), { field: 'exp_year', reason: 'range' });
  assert.deepEqual(validateCard({ number: '4242424242424242', expMonth: 1, expYear: 2020 }, now), {
    field: 'exp_year',
    reason: 'expired',
  });
});

test('security code: 3 digits, 4 for American Express', () => {
  assert.equal(validateCvc('123', 'visa'), undefined);
  assert.equal(validateCvc('1234', 'amex'), undefined);
  assert.deepEqual(validateCvc('1234', 'visa'), { field: 'cvc', reason: 'format' });
  assert.deepEqual(validateCvc('123', 'amex'), { field: 'cvc', reason: 'format' });
  assert.deepEqual(validateCvc('12a', 'jcb'), { field: 'cvc', reason: 'format' });
});

test('display data is BIN and last four only', () => {
  assert.deepEqual(displayOf('4242424242424242'), { bin: '424242', last4: '4242' });
  assert.deepEqual(displayOf('378282246310005'), { bin: '378282', last4: '0005' });
});
