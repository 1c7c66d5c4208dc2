import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16CcittFalse, crc16Hex } from './crc.ts';
import { EMVCO_EXAMPLE, PIX_EXAMPLE } from './vectors.test-data.ts';

test('CRC-16/CCITT-FALSE has the catalogue check value 0x29B1 for "123456789"', () => {
  // Greg Cook's CRC catalogue, CRC-16/IBM-3740 (alias CRC-16/CCITT-FALSE): check=0x29b1.
  assert.equal(crc16CcittFalse(Buffer.from('123456789', 'ascii')), 0x29b1);
  assert.equal(crc16Hex('123456789'), '29B1');
  assert.equal(crc16CcittFalse(new Uint8Array(0)), 0xffff, 'the initial value, unchanged');
});

test('the CRCs published with the EMVCo and PIX example payloads are reproduced', () => {
  // The last four characters are the published CRC; it covers everything before them, "6304"
  // included, as UTF-8 bytes (the EMVCo example's Chinese characters are 3 bytes each).
  for (const payload of [EMVCO_EXAMPLE, PIX_EXAMPLE]) {
    assert.equal(crc16Hex(payload.slice(0, -4)), payload.slice(-4));
  }
  assert.equal(EMVCO_EXAMPLE.slice(-4), 'A13A');
  assert.equal(PIX_EXAMPLE.slice(-4), '1D3D');
});
