import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  DAMM_TABLE,
  PAYMENT_CODE_DIGITS,
  PAYMENT_CODE_PREFIX,
  dammCheckDigit,
  dammValid,
  formatPaymentCode,
  generatePaymentCode,
  parsePaymentCode,
  paymentCodeHmac,
  type PaymentCode,
} from './cpm.ts';

test('Damm check digits match the published examples', () => {
  // Wikipedia "Damm algorithm": 572 → check digit 4. Rosetta Code "Damm algorithm":
  // 5724 and 112946 are valid, 5727 and 112949 are not.
  assert.equal(dammCheckDigit('572'), '4');
  assert.equal(dammCheckDigit('11294'), '6');
  assert.equal(dammValid('5724'), true);
  assert.equal(dammValid('112946'), true);
  assert.equal(dammValid('5727'), false);
  assert.equal(dammValid('112949'), false);
});

test('the Damm table is a totally anti-symmetric quasigroup with a zero diagonal', () => {
  // These are the properties Damm's proof rests on; checking them exhaustively means a wrong
  // entry in the table cannot hide behind the few published examples.
  const n = 10;
  for (let i = 0; i < n; i++) {
    assert.equal(DAMM_TABLE[i]![i], 0, `diagonal ${i}`);
    assert.equal(new Set(DAMM_TABLE[i]).size, n, `row ${i} is a permutation`);
    assert.equal(new Set(DAMM_TABLE.map((r) => r[i])).size, n, `column ${i} is a permutation`);
  }
  const op = (a: number, b: number) => DAMM_TABLE[a]![b]!;
  for (let c = 0; c < n; c++) {
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < n; y++) {
        if (x !== y) assert.notEqual(op(op(c, x), y), op(op(c, y), x), `(${c}, ${x}, ${y})`);
      }
    }
  }
});

test('a generated code has the prefix, 22 digits and a valid check digit', () => {
  for (let i = 0; i < 1000; i++) {
    const code = generatePaymentCode();
    assert.match(code, /^58\d{20}$/);
    assert.equal(code.length, PAYMENT_CODE_DIGITS);
    assert.deepEqual(parsePaymentCode(code), { ok: true, code });
  }
});

test('the random part uses every digit in every position (no fixed or biased digits)', () => {
  const seen = Array.from({ length: PAYMENT_CODE_DIGITS }, () => new Set<string>());
  for (let i = 0; i < 400; i++) {
    [...generatePaymentCode()].forEach((d, at) => seen[at]!.add(d));
  }
  for (let at = PAYMENT_CODE_PREFIX.length; at < PAYMENT_CODE_DIGITS; at++) {
    assert.equal(seen[at]!.size, 10, `position ${at}`);
  }
  const codes = new Set(Array.from({ length: 10_000 }, () => generatePaymentCode()));
  assert.equal(codes.size, 10_000);
});

test('every single-digit error and every adjacent transposition is caught', () => {
  for (let run = 0; run < 200; run++) {
    const code = generatePaymentCode();
    for (let at = 0; at < code.length; at++) {
      for (const d of '0123456789') {
        if (d === code[at]) continue;
        const typo = code.slice(0, at) + d + code.slice(at + 1);
        assert.equal(parsePaymentCode(typo).ok, false, typo);
      }
      const a = code[at]!;
      const b = code[at + 1];
      if (b === undefined || a === b) continue;
      const swapped = code.slice(0, at) + b + a + code.slice(at + 2);
      assert.equal(parsePaymentCode(swapped).ok, false, swapped);
    }
  }
});

test('a mistyped code, a code of another scheme and garbage get distinct answers', () => {
  const code = generatePaymentCode();
  const last = Number(code.at(-1));
  const typo = code.slice(0, -1) + String((last + 1) % 10);
  assert.deepEqual(parsePaymentCode(typo), { ok: false, reason: 'code_bad_check_digit' });
  const foreign = '13' + code.slice(2);
  assert.deepEqual(parsePaymentCode(foreign), { ok: false, reason: 'code_wrong_prefix' });
  for (const bad of [
    '',
    '58',
    code + '0',
    code.slice(1),
    code.replace(/\d$/, 'x'),
    '5'.repeat(99),
  ]) {
    assert.deepEqual(parsePaymentCode(bad), { ok: false, reason: 'code_malformed' }, bad);
  }
  // Length is judged before the prefix, the prefix before the check digit.
  assert.equal(
    (parsePaymentCode('13' + '0'.repeat(21)) as { reason: string }).reason,
    'code_malformed',
  );
});

test('typed forms of a code are read as the code: groups, dashes, full-width digits', () => {
  const code = generatePaymentCode();
  const fullWidth = [...code].map((d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).join('');
  for (const typed of [formatPaymentCode(code), code.replace(/(\d{4})/g, '$1-'), fullWidth]) {
    assert.deepEqual(parsePaymentCode(typed), { ok: true, code }, typed);
  }
  assert.equal(parsePaymentCode(`${code}\n`).ok, false);
  assert.equal(parsePaymentCode(code.replace('5', '٥')).ok, false, 'Arabic-Indic digits');
});

test('display groups the digits in fours', () => {
  const code = '5812345678901234567890' as PaymentCode;
  assert.equal(formatPaymentCode(code), '5812 3456 7890 1234 5678 90');
});

test('codes are stored as HMAC-SHA256 of their ASCII digits under a dedicated key', () => {
  const key = Buffer.alloc(32, 7);
  const code = generatePaymentCode();
  const mac = paymentCodeHmac(key, code);
  assert.equal(mac.length, 32);
  assert.deepEqual(mac, createHmac('sha256', key).update(code).digest());
  assert.notDeepEqual(paymentCodeHmac(Buffer.alloc(32, 8), code), mac);
  assert.throws(() => paymentCodeHmac(Buffer.alloc(16), code), /key too short/);
});
