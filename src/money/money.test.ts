import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAmount, MoneyError, parseAmount } from './index.ts';

test('JPY has no minor digits: fractions are refused, not rounded', () => {
  assert.equal(parseAmount('1234', 'JPY'), 1234n);
  assert.equal(parseAmount('1234.0', 'JPY'), 1234n);
  assert.throws(
    () => parseAmount('1234.5', 'JPY'),
    (e: unknown) => e instanceof MoneyError && e.reason === 'amount_too_precise',
  );
});

test('USD has two minor digits', () => {
  assert.equal(parseAmount('12.34', 'USD'), 1234n);
  assert.equal(parseAmount('12.3', 'USD'), 1230n);
  assert.equal(parseAmount('0.01', 'USD'), 1n);
  assert.throws(() => parseAmount('12.345', 'USD'), /amount_too_precise/);
  assert.equal(parseAmount('1.000', 'KWD'), 1000n);
});

test('malformed amounts, unknown currencies and overflow are refused', () => {
  for (const bad of ['', '1e3', '1,000', ' 1', '0x10', '1.', '.5', 'NaN', 'Infinity']) {
    assert.throws(() => parseAmount(bad, 'JPY'), /amount_malformed/, bad);
  }
  assert.throws(() => parseAmount('1', 'XXX'), /currency_unknown/);
  assert.throws(() => parseAmount('1', 'constructor'), /currency_unknown/);
  assert.throws(() => parseAmount('9223372036854775808', 'JPY'), /amount_too_large/);
});

test('format and parse are inverse for every amount and currency', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 15n }),
      fc.constantFrom('JPY', 'USD', 'KWD'),
      (n, c) => {
        assert.equal(parseAmount(formatAmount(n, c), c), n);
      },
    ),
  );
});

test('format pads to the currency scale', () => {
  assert.equal(formatAmount(5n, 'USD'), '0.05');
  assert.equal(formatAmount(-1234n, 'JPY'), '-1234');
});
