import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AMOUNT_MINOR_MAX, amountJson, amountMessage, parseAmount, yenPlain } from './amount.ts';

// The apps' one amount reader, amount.ts: browser code, tested beside it under Node (tests
// are never bundled). The defect it replaces: Number.parseInt ("1,000") is 1, so a top-up of
// "1,000" charged ¥1.

const minorOf = (text: string, bounds?: Parameters<typeof parseAmount>[1]) => {
  const r = parseAmount(text, bounds);
  return r.ok ? r.minor : r.problem;
};

test('the ways people write a thousand yen all read as 1000n', () => {
  for (const text of [
    '1000',
    '1,000',
    '１，０００',
    '１０００',
    '¥1,000',
    '￥1,000',
    '￥１，０００',
    '¥1000',
    '¥ 1,000',
    '  1,000  ',
    '\u30001,000\u3000',
  ]) {
    assert.equal(minorOf(text), 1000n, text);
  }
  assert.equal(minorOf('12,345,678', { max: 100_000_000n }), 12_345_678n);
  assert.equal(minorOf('10,000,000'), 10_000_000n);
  assert.equal(minorOf('1'), 1n);
});

test('anything else is refused, never guessed at', () => {
  for (const text of [
    '1.000',
    '1.5',
    '1,000.00',
    '1,00',
    '10,00,000',
    '01,000',
    ',000',
    '1,000,',
    '1 000',
    '-1000',
    '+1000',
    '1e3',
    '0x10',
    '1000円',
    '¥',
    '¥¥1000',
    '1000¥',
    'abc',
    '１、０００',
    '٣',
    '9'.repeat(40),
  ]) {
    assert.equal(minorOf(text), 'format', text);
  }
  assert.equal(minorOf(''), 'empty');
  assert.equal(minorOf('   '), 'empty');
  assert.equal(minorOf('0'), 'too_small');
  assert.equal(minorOf('10,000,001'), 'too_large');
  assert.equal(minorOf('99999999999999999999'), 'too_large');
});

test('bounds are bigint all the way: no rounding near 2^53', () => {
  const big = 9_007_199_254_740_993n; // 2^53 + 1: a float would read 2^53.
  assert.equal(minorOf('9007199254740993', { max: big * 2n }), big);
  assert.equal(minorOf('9,007,199,254,740,993', { max: big * 2n }), big);
  assert.equal(minorOf('5', { min: 10n }), 'too_small');
  assert.throws(() => amountJson(big), RangeError);
  assert.equal(amountJson(AMOUNT_MINOR_MAX), 10_000_000);
});

test('each refusal says what to type, in both languages', () => {
  const r = parseAmount('0');
  assert.ok(!r.ok);
  assert.equal(amountMessage(r, 'en'), 'The amount must be at least ¥1.');
  assert.equal(amountMessage(r, 'ja'), '¥1 以上の金額を入力してください。');
  const big = parseAmount('20,000,000');
  assert.ok(!big.ok);
  assert.equal(amountMessage(big, 'en'), 'The amount can be at most ¥10,000,000.');
  const bad = parseAmount('1.5');
  assert.ok(!bad.ok);
  assert.match(amountMessage(bad, 'en'), /1,000/);
  assert.match(amountMessage(bad, 'ja'), /円単位/);
  assert.equal(yenPlain(1234567n), '¥1,234,567');
  assert.equal(yenPlain(0n), '¥0');
});
