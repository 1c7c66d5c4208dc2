// CRC-16/CCITT-FALSE (catalogued as CRC-16/IBM-3740): polynomial 0x1021, initial value
// 0xFFFF, no reflection, no final XOR; check value 0x29B1 for "123456789". EMVCo QRCPS-MPM
// uses it for data object 63 (CRC), computed over the payload's bytes with "6304" included. A
// table makes it one lookup a byte; it is built once from the polynomial, not typed in.

const POLYNOMIAL = 0x1021;

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ POLYNOMIAL) & 0xffff : (crc << 1) & 0xffff;
    }
    table[byte] = crc;
  }
  return table;
})();

export function crc16CcittFalse(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The CRC of a string's UTF-8 bytes as EMVCo writes it: four uppercase hex digits. */
export function crc16Hex(text: string): string {
  return crc16CcittFalse(Buffer.from(text, 'utf8')).toString(16).toUpperCase().padStart(4, '0');
}
