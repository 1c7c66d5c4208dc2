import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qrMakeCommand, qrParseCommand } from './cli.ts';
import { parseStorePayload } from './emvco.ts';
import { EMVCO_EXAMPLE } from './vectors.test-data.ts';

function run(command: typeof qrParseCommand, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = command(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const MAKE = [
  '--merchant-id', 'mer_1', '--store-id', 'sto_1', '--merchant-name', 'KINKO COFFEE',
  '--city', 'CHIYODA-KU', '--mcc', '5814', '--postal-code', '1000005',
]; // prettier-ignore

test('qr parse prints the fields of a valid payload as JSON', () => {
  const r = run(qrParseCommand, [EMVCO_EXAMPLE]);
  assert.equal(r.code, 0, r.err);
  const json = JSON.parse(r.out) as { valid: boolean; fields: Record<string, unknown> };
  assert.equal(json.valid, true);
  assert.equal(json.fields['merchantName'], 'BEST TRANSPORT');
  assert.equal(json.fields['amount'], '23.72');
  assert.equal(r.err, '');
});

test('qr parse exits 2 on an invalid payload, with the reason on both streams', () => {
  const r = run(qrParseCommand, [EMVCO_EXAMPLE.replace('BEIJING', 'BEIJINK')]);
  assert.equal(r.code, 2);
  assert.equal((JSON.parse(r.out) as { reason: string }).reason, 'qr_crc_mismatch');
  assert.match(r.err, /qr_crc_mismatch: the CRC does not match at character \d+/);
});

test('qr parse exits 2 on bad usage', () => {
  assert.equal(run(qrParseCommand, []).code, 2);
  assert.equal(run(qrParseCommand, [EMVCO_EXAMPLE, EMVCO_EXAMPLE]).code, 2);
  assert.match(run(qrParseCommand, ['--verbose', EMVCO_EXAMPLE]).err, /usage: kinko qr parse/);
});

test('qr make prints a store payload that parses back', () => {
  const r = run(qrMakeCommand, [...MAKE, '--name-ja', '金庫珈琲', '--terminal-label', 'REG01']);
  assert.equal(r.code, 0, r.err);
  const parsed = parseStorePayload(r.out);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.fields.kinko, { merchantId: 'mer_1', storeId: 'sto_1' });
  assert.equal(parsed.fields.pointOfInitiation, 'static');
  assert.equal(parsed.fields.language?.merchantName, '金庫珈琲');
  const dynamic = run(qrMakeCommand, [...MAKE, '--amount', '1200']);
  const fields = parseStorePayload(dynamic.out);
  assert.ok(fields.ok);
  assert.equal(fields.fields.amount, '1200');
  assert.equal(fields.fields.pointOfInitiation, 'dynamic');
});

test('qr make exits 2 with a clear message on missing, unknown or invalid options', () => {
  const missing = run(qrMakeCommand, MAKE.slice(0, -2));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /missing --postal-code/);
  const unknown = run(qrMakeCommand, [...MAKE, '--colour', 'red']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /colour/);
  const fraction = run(qrMakeCommand, [...MAKE, '--amount', '12.5']);
  assert.equal(fraction.code, 2);
  assert.match(fraction.err, /qr_field_invalid: amount_too_precise/);
  const japanese = run(qrMakeCommand, [
    ...MAKE.slice(0, 4),
    '--merchant-name',
    '金庫',
    ...MAKE.slice(6),
  ]);
  assert.equal(japanese.code, 2);
  assert.match(japanese.err, /merchantName must be 1 to 25 printable ASCII characters/);
});
