import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KinkoError } from '../lib/errors.ts';
import { crc16Hex } from './crc.ts';
import { buildStorePayload, parseStorePayload, type StorePayloadInput } from './emvco.ts';
import { EMVCO_EXAMPLE, PIX_EXAMPLE } from './vectors.test-data.ts';

const STORE: StorePayloadInput = {
  merchantId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  storeId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
  merchantName: 'KINKO COFFEE',
  merchantCity: 'CHIYODA-KU',
  postalCode: '1000005',
  mcc: '5814',
  storeLabel: 'Marunouchi',
  terminalLabel: 'REG01',
  merchantNameJa: '金庫珈琲',
  merchantCityJa: '千代田区',
};

/** Re-seals a hand-edited payload with a correct CRC, to reach the checks behind the CRC. */
function seal(body: string): string {
  const open = body.endsWith('6304') ? body : `${body}6304`;
  return open + crc16Hex(open);
}

function refusal(text: string) {
  const r = parseStorePayload(text);
  assert.equal(r.ok, false, `accepted: ${text}`);
  return r as Extract<typeof r, { ok: false }>;
}

test('the EMVCo specification’s example payload parses into its published fields', () => {
  const r = parseStorePayload(EMVCO_EXAMPLE);
  assert.ok(r.ok, JSON.stringify(r));
  const f = r.fields;
  assert.equal(f.pointOfInitiation, 'dynamic');
  assert.deepEqual(f.merchantAccounts, {
    '29': { '00': 'D15600000000', '05': 'A93FO3230Q' },
    '31': { '00': 'D15600000001', '03': '12345678' },
  });
  assert.equal(f.kinko, null);
  assert.equal(f.merchantCategoryCode, '4111');
  assert.equal(f.currencyNumeric, '156');
  assert.equal(f.currency, 'CNY');
  assert.equal(f.amount, '23.72');
  assert.equal(f.tipIndicator, '01');
  assert.equal(f.countryCode, 'CN');
  assert.equal(f.merchantName, 'BEST TRANSPORT');
  assert.equal(f.merchantCity, 'BEIJING');
  assert.deepEqual(f.language, {
    preference: 'ZH',
    merchantName: '最佳运输',
    merchantCity: '北京',
  });
  assert.deepEqual(f.additionalData, {
    storeLabel: '1234',
    customerLabel: '***',
    terminalLabel: 'A6008667',
    additionalConsumerDataRequest: 'ME',
  });
  assert.equal(f.crc, 'A13A');
  // Lengths and positions count characters: template 64 is 20 characters, 32 bytes.
  const language = r.objects.find((o) => o.id === '64')!;
  assert.equal(language.length, 20);
  assert.equal(Buffer.byteLength(language.value), 32);
  const amount = r.objects.find((o) => o.id === '54')!;
  assert.equal(
    [...EMVCO_EXAMPLE].slice(amount.position, amount.position + 9).join(''),
    '540523.72',
  );
  assert.deepEqual(
    r.objects.find((o) => o.id === '91')!.children!.map((c) => [c.id, c.value]),
    [
      ['00', 'A011223344998877'],
      ['07', '12345678'],
    ],
  );
});

test('the PIX BR Code example (another EMVCo MPM profile) parses', () => {
  const r = parseStorePayload(PIX_EXAMPLE);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.fields.pointOfInitiation, null);
  assert.equal(r.fields.merchantName, 'Fulano de Tal');
  assert.equal(r.fields.currency, null, 'BRL is not a currency Kinko settles');
  assert.deepEqual(r.fields.additionalData, { referenceLabel: '***' });
});

test('every single-character corruption of a published payload is refused', () => {
  // Printable ASCII, a Japanese and a Chinese character, and a character outside the BMP.
  const replacements = [
    ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)),
    'あ', '北', '𠮷',
  ]; // prettier-ignore
  for (const payload of [EMVCO_EXAMPLE, PIX_EXAMPLE, buildStorePayload(STORE)]) {
    const chars = [...payload];
    for (let at = 0; at < chars.length; at++) {
      for (const c of replacements) {
        if (c === chars[at]) continue;
        const corrupt = [...chars.slice(0, at), c, ...chars.slice(at + 1)].join('');
        assert.equal(parseStorePayload(corrupt).ok, false, `position ${at} → ${c}`);
      }
    }
  }
});

test('every truncation, and any trailing or leading extra text, is refused', () => {
  for (const payload of [EMVCO_EXAMPLE, PIX_EXAMPLE, buildStorePayload(STORE)]) {
    const chars = [...payload];
    for (let n = 0; n < chars.length; n++) {
      assert.equal(parseStorePayload(chars.slice(0, n).join('')).ok, false, `first ${n}`);
      assert.equal(parseStorePayload(chars.slice(n + 1).join('')).ok, false, `after ${n}`);
    }
    for (const extra of [' ', '\n', '0', '6304A13A']) {
      assert.equal(parseStorePayload(payload + extra).ok, false);
      assert.equal(parseStorePayload(extra + payload).ok, false);
    }
  }
});

test('a corrupted payload is reported as a CRC mismatch at the CRC', () => {
  const r = refusal(EMVCO_EXAMPLE.replace('BEST TRANSPORT', 'BEST TRANSPOR7'));
  assert.equal(r.reason, 'qr_crc_mismatch');
  assert.equal(r.tag, '63');
  assert.equal(r.position, [...EMVCO_EXAMPLE].length - 4);
  assert.equal(refusal(EMVCO_EXAMPLE.replace(/A13A$/, 'a13a')).reason, 'qr_malformed');
});

test('the CRC must be the last data object and the format indicator the first', () => {
  const body = EMVCO_EXAMPLE.slice(0, -8);
  const crcObject = EMVCO_EXAMPLE.slice(-8);
  // 63 moved to the front or the middle: the tail is no longer 6304XXXX.
  assert.match(refusal(crcObject + body).message, /must end with 6304/);
  const middle = body.indexOf('5204');
  const moved = body.slice(0, middle) + crcObject + body.slice(middle);
  assert.match(refusal(moved).message, /must end with 6304/);
  // A valid CRC inside a longer 63 (a CRC object of length 10 ending in "6304XXXX").
  assert.match(refusal(seal(`${body}6310xx`)).message, /CRC \(63, length 04\) must be the last/);
  // 00 not first, and a second 63 before the last.
  const pfiSecond = '010212' + '000201' + body.slice(12);
  assert.match(refusal(seal(pfiSecond)).message, /Payload Format Indicator \(00\) must come first/);
  assert.match(refusal(seal(`${body}63041234`)).message, /63 appears twice/);
});

test('structural faults are refused as malformed with their position', () => {
  const pix = PIX_EXAMPLE.slice(0, -4);
  const cases: Array<[string, RegExp]> = [
    [pix.replace('5204', 'x204'), /not two digits/],
    [pix.replace('5204', '52x4'), /length of 52/],
    [pix.replace('5802BR', '5800') + 'BR', /empty value/],
    [pix.replace('6008BRASILIA', '6008BRASILIA5802BR'), /appears twice/],
    [pix.replace('0014br.gov', '0015br.gov'), /26\.13 runs past the end of template 26/],
    [pix.replace('6207', '6299'), /runs past the end/],
  ];
  for (const [body, message] of cases) {
    const r = refusal(seal(body));
    assert.equal(r.reason, 'qr_malformed', body);
    assert.match(r.message, message, body);
  }
  assert.equal(refusal('').reason, 'qr_malformed');
  assert.equal(refusal('0'.repeat(100_000)).message, 'the payload exceeds 512 characters');
  assert.equal(
    refusal(seal('000201' + '9999'.padEnd(520, 'x'))).message,
    'the payload exceeds 512 characters',
  );
  assert.equal(refusal(seal(pix.replace('000201', '000202'))).tag, '00');
});

test('required fields are named when missing', () => {
  const pix = PIX_EXAMPLE.slice(0, -8);
  const cases: Array<[string, string]> = [
    [pix.replace('52040000', ''), '52'],
    [pix.replace('5303986', ''), '53'],
    [pix.replace('5802BR', ''), '58'],
    [pix.replace('5913Fulano de Tal', ''), '59'],
    [pix.replace('6008BRASILIA', ''), '60'],
    [pix.replace(/26580014br\.gov\.bcb\.pix0136[0-9a-f-]{36}/, ''), '02'],
    [pix.replace('26580014br.gov.bcb.pix0136', '26400136'), '26.00'],
    [`${pix}64060002JA`, '64.01'],
    [pix.replace('5303986', '5303986550202'), '56'],
  ];
  for (const [body, tag] of cases) {
    const r = refusal(seal(body));
    assert.equal(r.reason, 'qr_missing_field', tag);
    assert.equal(r.tag, tag);
  }
});

test('field formats are checked: MCC, currency, amount and its scale, country, names', () => {
  const base = buildStorePayload(STORE).slice(0, -8);
  const cases: Array<[string, string]> = [
    [base.replace('52045814', '5203581'), '52'],
    [base.replace('5303392', '53043920'), '53'],
    [base.replace('5303392', '53033925404-100'), '54'],
    [base.replace('5303392', '530339254041e10'), '54'],
    [base.replace('5303392', '5303392540512.50'), '54'],
    [base.replace('5802JP', '5802jp'), '58'],
    [base.replace('010211', '010213'), '01'],
    [base.replace('5912KINKO COFFEE', '5904金庫珈琲'), '59'],
    [base.replace('6010CHIYODA-KU', '6016CHIYODA-KU TOKYO'), '60'],
    [base.replace('0705REG01', '0705REG\u000701'.slice(0, 9)), '62.07'],
    [base.replace('0104金庫珈琲', '0104金庫\u0000琲'), '64.01'],
    [base.replace('0008jp.kinko', '0008jp.kink\u00f6'), '26.00'],
  ];
  for (const [body, tag] of cases) {
    const r = refusal(seal(body));
    assert.equal(r.reason, 'qr_field_invalid', `${tag}: ${r.message}`);
    assert.equal(r.tag, tag);
  }
  // USD has cents; the same "12.50" is a valid amount there.
  const usd = buildStorePayload({ ...STORE, currency: 'USD', amount: 1250n });
  assert.ok(parseStorePayload(usd).ok);
  assert.match(usd, /540512\.50/);
});

test('a built store payload carries what JPQR requires and reads back', () => {
  const payload = buildStorePayload(STORE);
  assert.match(payload, /^000201010211/);
  const r = parseStorePayload(payload);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.fields.kinko, { merchantId: STORE.merchantId, storeId: STORE.storeId });
  assert.equal(r.fields.merchantAccounts['26'] && typeof r.fields.merchantAccounts['26'], 'object');
  assert.equal(r.fields.currencyNumeric, '392');
  assert.equal(r.fields.currency, 'JPY');
  assert.equal(r.fields.countryCode, 'JP');
  assert.equal(r.fields.postalCode, '1000005');
  assert.equal(r.fields.amount, null);
  assert.deepEqual(r.fields.language, {
    preference: 'JA',
    merchantName: '金庫珈琲',
    merchantCity: '千代田区',
  });
  const dynamic = parseStorePayload(buildStorePayload({ ...STORE, amount: 1200n }));
  assert.ok(dynamic.ok);
  assert.equal(dynamic.fields.pointOfInitiation, 'dynamic');
  assert.equal(dynamic.fields.amount, '1200');
});

test('the builder refuses inputs JPQR or EMVCo would not carry, naming the input', () => {
  const cases: Array<[Partial<StorePayloadInput>, string]> = [
    [{ merchantName: '金庫珈琲' }, 'merchantName'],
    [{ merchantName: 'A'.repeat(26) }, 'merchantName'],
    [{ merchantCity: '' }, 'merchantCity'],
    [{ mcc: '581' }, 'mcc'],
    [{ postalCode: '' }, 'postalCode'],
    [{ currency: 'XXX' }, 'currency'],
    [{ countryCode: 'jp' }, 'countryCode'],
    [{ amount: 0n }, 'amount'],
    [{ amount: 10n ** 13n }, 'amount'],
    [{ merchantNameJa: '金'.repeat(26) }, 'merchantNameJa'],
    [{ storeId: 'x'.repeat(60) }, 'merchantId'],
  ];
  for (const [change, param] of cases) {
    assert.throws(
      () => buildStorePayload({ ...STORE, ...change }),
      (e: unknown) => e instanceof KinkoError && e.code === 'qr_field_invalid' && e.param === param,
      param,
    );
  }
});

test('build → parse round-trips any valid store (property)', () => {
  const ans = (max: number) =>
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: max,
    });
  const anyScript = (max: number) =>
    fc.string({
      unit: fc.constantFrom('金', '庫', 'カ', 'ふ', '𠮷', 'A', ' ', '1'),
      minLength: 1,
      maxLength: max,
    });
  fc.assert(
    fc.property(
      fc.record({
        merchantId: ans(36),
        storeId: ans(36),
        merchantName: ans(25),
        merchantCity: ans(15),
        postalCode: ans(10),
        mcc: fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        amount: fc.option(fc.bigInt({ min: 1n, max: 10n ** 12n }), { nil: undefined }),
        storeLabel: fc.option(ans(25), { nil: undefined }),
        terminalLabel: fc.option(ans(25), { nil: undefined }),
        merchantNameJa: fc.option(anyScript(25), { nil: undefined }),
      }),
      (input) => {
        const clean = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
        const r = parseStorePayload(buildStorePayload(clean as unknown as StorePayloadInput));
        assert.ok(r.ok, JSON.stringify(r));
        const f = r.fields;
        assert.deepEqual(f.kinko, { merchantId: input.merchantId, storeId: input.storeId });
        assert.equal(f.merchantName, input.merchantName);
        assert.equal(f.merchantCity, input.merchantCity);
        assert.equal(f.postalCode, input.postalCode);
        assert.equal(f.merchantCategoryCode, input.mcc);
        assert.equal(f.amount, input.amount === undefined ? null : String(input.amount));
        assert.equal(f.additionalData?.['storeLabel'], input.storeLabel);
        assert.equal(f.additionalData?.['terminalLabel'], input.terminalLabel);
        assert.equal(f.language?.merchantName, input.merchantNameJa);
      },
    ),
    { numRuns: 500 },
  );
});

test('the parser never throws, whatever the input (property)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 600 }), (text) => {
      parseStorePayload(text);
      parseStorePayload(seal(text));
    }),
    { numRuns: 2000 },
  );
});
