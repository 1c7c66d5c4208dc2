import bwipjs from 'bwip-js';
import QRCode from 'qrcode';
import { assert } from '../lib/assert.ts';
import { PAYMENT_CODE_DIGITS, type PaymentCode } from './cpm.ts';

// Images of a payment code for the wallet's screen (SVG, sent to it as data URLs), made by
// standard encoders so that any register's scanner reads them: a QR code (ISO/IEC 18004) and
// a Code 128 barcode (ISO/IEC 15417). The images carry the digits only; the wallet prints the
// human-readable code itself, so it can hide it until the customer asks.
//
// QR error correction level M (15 % of codewords recoverable) keeps the symbol small (a 22-digit
// numeric code fits version 1) while tolerating a cracked or glaring phone screen. Code 128 with
// an even count of digits is encoded in code set C, two digits a symbol.

const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
const BARCODE_OPTIONS = { bcid: 'code128', scale: 3, height: 15, paddingwidth: 10 } as const;

function digits(code: PaymentCode): string {
  assert(/^\d+$/.test(code) && code.length === PAYMENT_CODE_DIGITS, 'not a parsed payment code');
  return code;
}

export async function paymentCodeQrSvg(code: PaymentCode): Promise<string> {
  return QRCode.toString(digits(code), { ...QR_OPTIONS, type: 'svg' });
}

export async function paymentCodeBarcodeSvg(code: PaymentCode): Promise<string> {
  return bwipjs.toSVG({ ...BARCODE_OPTIONS, text: digits(code) });
}
