// Codes: one-time payment codes a customer shows at the register (CPM) and the QR payloads
// a store shows for customers to scan (MPM). Pure functions only; issuing and redeeming codes
// (HMAC storage, expiry, single use, rate limits) belong to payments and its store.
//
// Glossary
// - CPM (consumer-presented mode): the wallet shows a one-time payment code as a QR code and
//   a Code 128 barcode; the register scans it and charges it.
// - payment code: 22 digits, Kinko's prefix "58", 19 random digits, a Damm check digit.
// - check digit: the last digit, computed from the others, that catches a mistyped code.
// - MPM (merchant-presented mode): the store shows a QR payload; the wallet scans it and pays.
// - store payload: the text in a store's QR code, in EMVCo's MPM format (EMV QRCPS-MPM v1.1).
// - data object: ID (2 digits) + length (2 digits) + value; a template is a data object whose
//   value is further data objects.
// - static / dynamic payload: without an amount (any payment) / with one (one payment).
// - JPQR: Japan's unified QR profile of EMVCo MPM, which fixes the fields a store must carry.
// - CRC: CRC-16/CCITT-FALSE in data object 63, which catches misread or altered payloads.

export { codesError, type CodesErrorCode } from './errors.ts';
export {
  formatPaymentCode,
  generatePaymentCode,
  parsePaymentCode,
  paymentCodeHmac,
} from './cpm.ts';
export { paymentCodeBarcodeSvg, paymentCodeQrSvg } from './render.ts';
export { crc16Hex } from './crc.ts';
export { buildStorePayload, parseStorePayload } from './emvco.ts';
export { QR_MAKE_USAGE, QR_PARSE_USAGE, qrMakeCommand, qrParseCommand } from './cli.ts';
