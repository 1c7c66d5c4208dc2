import { assert } from '../lib/assert.ts';
import { formatAmount, isCurrency, MoneyError, parseAmount } from '../money/index.ts';
import { crc16Hex } from './crc.ts';
import { codesError, type CodesErrorCode } from './errors.ts';

// Store QR payloads in EMVCo's Merchant-Presented Mode (EMV QRCPS-MPM v1.1).
//
// A payload is a run of data objects, each a 2-digit ID, a 2-digit length and a value of that
// many characters. Templates (IDs 26–51, 62, 64 and 80–99) hold further data objects. The
// Payload Format Indicator (ID 00, "01") comes first and the CRC (ID 63, length 04) last; the
// CRC is CRC-16/CCITT-FALSE over the UTF-8 bytes of everything before its value, "6304"
// included. Lengths count characters, not bytes, so a Japanese name in template 64 is as long
// as its characters.
//
// Japan's JPQR profile asks a store payload for: merchant account information, merchant
// category code (52), currency 392 (53), country JP (58), merchant name (59) and city (60) in
// alphanumeric-special characters, postal code (61), and the store's Japanese name in the
// language template (64, language "JA"). buildStorePayload always writes all of these; the
// parser requires only what EMVCo requires, so it reads other schemes' payloads too.

/** Kinko's globally unique identifier in its merchant account information template. */
const KINKO_GUID = 'jp.kinko';
/** The template ID Kinko writes its merchant account information under (26–51 allowed). */
const KINKO_TEMPLATE_ID = '26';
/** EMVCo caps a whole payload at 512 characters. */
const STORE_PAYLOAD_CHARS_MAX = 512;

interface DataObject {
  /** Two digits; nested objects keep their own ID ("07"), not the path ("62.07"). */
  readonly id: string;
  /** The value's length in characters, as written in the payload. */
  readonly length: number;
  readonly value: string;
  /** Index of the ID's first character in the payload, counted in characters. */
  readonly position: number;
  /** The data objects inside a template. */
  readonly children?: readonly DataObject[];
}

interface StorePayloadFields {
  readonly payloadFormatIndicator: string;
  /** ID 01: "11" static (one QR for every payment), "12" dynamic (one payment). */
  readonly pointOfInitiation: 'static' | 'dynamic' | null;
  /** IDs 02–51 keyed by ID: a primitive value, or a template's sub-fields keyed by sub-ID. */
  readonly merchantAccounts: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  /** Kinko's own template, when the payload carries one. */
  readonly kinko: { readonly merchantId: string; readonly storeId: string } | null;
  readonly merchantCategoryCode: string;
  /** ISO 4217 numeric ("392"), and its alphabetic code when Kinko knows it ("JPY"). */
  readonly currencyNumeric: string;
  readonly currency: string | null;
  /** ID 54 as written ("1200", "23.72"); null in a static payload. */
  readonly amount: string | null;
  readonly tipIndicator: string | null;
  readonly convenienceFeeFixed: string | null;
  readonly convenienceFeePercentage: string | null;
  readonly countryCode: string;
  readonly merchantName: string;
  readonly merchantCity: string;
  readonly postalCode: string | null;
  readonly additionalData: Readonly<Record<string, string>> | null;
  readonly language: {
    readonly preference: string;
    readonly merchantName: string;
    readonly merchantCity: string | null;
  } | null;
  readonly crc: string;
}

type StorePayloadParse =
  | { readonly ok: true; readonly fields: StorePayloadFields; readonly objects: DataObject[] }
  | {
      readonly ok: false;
      readonly reason: CodesErrorCode;
      readonly message: string;
      /** Character index the problem was found at, when there is one. */
      readonly position?: number;
      /** The data object at fault, as a path such as "54" or "62.07". */
      readonly tag?: string;
    };

// ISO 4217 numeric codes of the currencies the money module knows, so that an amount can be
// checked against its currency's scale.
// prettier-ignore
const CURRENCY_BY_NUMERIC: Readonly<Record<string, string>> = {
  '392': 'JPY', '410': 'KRW', '704': 'VND', '152': 'CLP', '352': 'ISK', '840': 'USD',
  '978': 'EUR', '826': 'GBP', '156': 'CNY', '344': 'HKD', '901': 'TWD', '702': 'SGD',
  '036': 'AUD', '124': 'CAD', '756': 'CHF', '764': 'THB', '608': 'PHP', '458': 'MYR',
  '360': 'IDR', '356': 'INR', '554': 'NZD', '048': 'BHD', '414': 'KWD', '400': 'JOD',
  '512': 'OMR', '788': 'TND',
};

const NUMERIC_BY_CURRENCY: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(CURRENCY_BY_NUMERIC).map(([numeric, alpha]) => [alpha, numeric]),
);

/** EMVCo's "ans" format: printable ASCII. Only template 64 may carry other characters. */
const ANS = /^[\x20-\x7E]+$/;
/** Template 64's names may be in any script, but never control characters or broken UTF-16. */
const ANY_SCRIPT = /^[^\p{Cc}\p{Cs}]+$/u;
const DECIMAL = /^\d+(\.\d+)?$/;

// Parsing is a pipeline of checks, each of which may refuse; a private exception carries the
// refusal up to parseStorePayload, which turns it into a result and never lets it escape.
class Refusal {
  constructor(
    readonly reason: CodesErrorCode,
    readonly message: string,
    readonly position?: number,
    readonly tag?: string,
  ) {}
}

function isTemplate(id: string): boolean {
  const n = Number(id);
  return (n >= 26 && n <= 51) || n === 62 || n === 64 || (n >= 80 && n <= 99);
}

function readObjects(chars: readonly string[], start: number, end: number, parent?: string) {
  const out: DataObject[] = [];
  const seen = new Set<string>();
  const where = parent === undefined ? 'the payload' : `template ${parent}`;
  for (let p = start; p < end;) {
    if (end - p < 4) throw new Refusal('qr_malformed', `${where} ends inside a data object`, p);
    const id = chars.slice(p, p + 2).join('');
    const lengthText = chars.slice(p + 2, p + 4).join('');
    const tag = parent === undefined ? id : `${parent}.${id}`;
    if (!/^\d\d$/.test(id)) throw new Refusal('qr_malformed', 'an ID is not two digits', p);
    if (!/^\d\d$/.test(lengthText)) {
      throw new Refusal('qr_malformed', `the length of ${tag} is not two digits`, p, tag);
    }
    const length = Number(lengthText);
    if (length === 0) throw new Refusal('qr_malformed', `${tag} has an empty value`, p, tag);
    if (p + 4 + length > end) {
      throw new Refusal('qr_malformed', `${tag} runs past the end of ${where}`, p, tag);
    }
    // A repeated ID would let two readers of one payload see two different values.
    if (seen.has(id)) throw new Refusal('qr_malformed', `${tag} appears twice`, p, tag);
    seen.add(id);
    const value = chars.slice(p + 4, p + 4 + length).join('');
    const nested = parent === undefined && isTemplate(id);
    const children = nested ? readObjects(chars, p + 4, p + 4 + length, id) : undefined;
    out.push(
      children ? { id, length, value, position: p, children } : { id, length, value, position: p },
    );
    p += 4 + length;
  }
  return out;
}

// The CRC is checked before the structure so that a misread scan is reported as a misread
// scan ("scan it again") rather than as whichever structural rule the damage happened to hit.
function checkFrame(text: string, chars: readonly string[]): void {
  if (chars.length === 0) throw new Refusal('qr_malformed', 'the payload is empty');
  if (chars.length > STORE_PAYLOAD_CHARS_MAX) {
    throw new Refusal('qr_malformed', `the payload exceeds ${STORE_PAYLOAD_CHARS_MAX} characters`);
  }
  const tail = chars.slice(-8).join('');
  if (chars.length < 8 || !/^6304[0-9A-F]{4}$/.test(tail)) {
    const at = Math.max(0, chars.length - 8);
    throw new Refusal(
      'qr_malformed',
      'the payload must end with 6304 and a CRC of 4 uppercase hex digits',
      at,
    );
  }
  const expected = crc16Hex(text.slice(0, -4));
  if (tail.slice(4) !== expected) {
    throw new Refusal('qr_crc_mismatch', 'the CRC does not match', chars.length - 4, '63');
  }
}

function checkOrder(objects: readonly DataObject[]): void {
  const first = objects[0];
  const last = objects[objects.length - 1];
  if (!first || first.id !== '00') {
    throw new Refusal('qr_malformed', 'the Payload Format Indicator (00) must come first', 0);
  }
  if (!last || last.id !== '63' || last.length !== 4) {
    throw new Refusal('qr_malformed', 'the CRC (63, length 04) must be the last data object');
  }
}

function byId(objects: readonly DataObject[]): Map<string, DataObject> {
  return new Map(objects.map((o) => [o.id, o]));
}

function requireIn(map: Map<string, DataObject>, id: string, tag: string, what: string) {
  const o = map.get(id);
  if (!o) throw new Refusal('qr_missing_field', `${what} (${tag}) is missing`, undefined, tag);
  return o;
}

function checkValue(o: DataObject, tag: string, format: RegExp, max: number, what: string) {
  if (o.length > max || !format.test(o.value)) {
    throw new Refusal('qr_field_invalid', `${what} (${tag}) is not valid`, o.position, tag);
  }
  return o.value;
}

function checkRequired(objects: readonly DataObject[]): void {
  const root = byId(objects);
  requireIn(root, '52', '52', 'the merchant category code');
  requireIn(root, '53', '53', 'the transaction currency');
  requireIn(root, '58', '58', 'the country code');
  requireIn(root, '59', '59', 'the merchant name');
  requireIn(root, '60', '60', 'the merchant city');
  if (!objects.some((o) => Number(o.id) >= 2 && Number(o.id) <= 51)) {
    throw new Refusal('qr_missing_field', 'no merchant account information (02–51)', 0, '02');
  }
  for (const o of objects) {
    if (!o.children) continue;
    const inner = byId(o.children);
    const n = Number(o.id);
    if ((n >= 26 && n <= 51) || n >= 80) {
      requireIn(inner, '00', `${o.id}.00`, 'the globally unique identifier');
    }
    if (o.id === '64') {
      requireIn(inner, '00', '64.00', 'the language preference');
      requireIn(inner, '01', '64.01', 'the alternate-language merchant name');
    }
  }
  const tip = root.get('55')?.value;
  if (tip === '02') requireIn(root, '56', '56', 'the fixed convenience fee');
  if (tip === '03') requireIn(root, '57', '57', 'the percentage convenience fee');
}

// Per-ID formats from EMVCo's data object tables: [format, maximum length, name].
const ROOT_FORMATS: Readonly<Record<string, readonly [RegExp, number, string]>> = {
  '00': [/^01$/, 2, 'the Payload Format Indicator'],
  '01': [/^1[12]$/, 2, 'the Point of Initiation Method'],
  '52': [/^\d{4}$/, 4, 'the merchant category code'],
  '53': [/^\d{3}$/, 3, 'the transaction currency'],
  '54': [DECIMAL, 13, 'the transaction amount'],
  '55': [/^0[123]$/, 2, 'the tip or convenience indicator'],
  '56': [DECIMAL, 13, 'the fixed convenience fee'],
  '57': [/^\d{1,2}(\.\d{1,2})?$/, 5, 'the percentage convenience fee'],
  '58': [/^[A-Z]{2}$/, 2, 'the country code'],
  '59': [ANS, 25, 'the merchant name'],
  '60': [ANS, 15, 'the merchant city'],
  '61': [ANS, 10, 'the postal code'],
};

function checkFormats(objects: readonly DataObject[]): void {
  for (const o of objects) {
    const rule = ROOT_FORMATS[o.id];
    if (rule) checkValue(o, o.id, rule[0], rule[1], rule[2]);
    else if (!o.children) checkValue(o, o.id, ANS, 99, `data object ${o.id}`);
    for (const c of o.children ?? []) checkChild(o.id, c);
  }
  checkAmount(byId(objects));
}

function checkChild(parent: string, c: DataObject): void {
  const tag = `${parent}.${c.id}`;
  if (parent === '64') checkLanguage(c, tag);
  else if (parent === '62') checkAdditional(c, tag);
  else if (c.id === '00') checkValue(c, tag, ANS, 32, 'the globally unique identifier');
  else checkValue(c, tag, ANS, 99, `data object ${tag}`);
}

// Additional data (62): 01–08 are labels of up to 25 characters (bill number, mobile number,
// store label, loyalty number, reference label, customer label, terminal label, purpose);
// 09 asks the wallet for the consumer's address (A), mobile number (M) or email (E).
function checkAdditional(c: DataObject, tag: string): void {
  if (c.id === '09') {
    checkValue(c, tag, /^(?!.*(.).*\1)[AME]{1,3}$/, 3, 'the consumer data request');
  } else {
    checkValue(c, tag, ANS, Number(c.id) <= 8 ? 25 : 99, `data object ${tag}`);
  }
}

function checkLanguage(o: DataObject, tag: string): void {
  if (o.id === '00') checkValue(o, tag, /^[A-Za-z]{2}$/, 2, 'the language preference');
  else if (o.id === '01') checkValue(o, tag, ANY_SCRIPT, 25, 'the alternate-language name');
  else if (o.id === '02') checkValue(o, tag, ANY_SCRIPT, 15, 'the alternate-language city');
  else checkValue(o, tag, ANS, 99, `data object ${tag}`);
}

// An amount must fit its currency: "1200.5" yen is refused, not rounded. A currency Kinko
// does not know is left to the payment step, which pays only in currencies it settles.
function checkAmount(root: Map<string, DataObject>): void {
  const amount = root.get('54');
  const alpha = CURRENCY_BY_NUMERIC[root.get('53')?.value ?? ''];
  if (!amount || alpha === undefined) return;
  try {
    parseAmount(amount.value, alpha);
  } catch (e) {
    if (!(e instanceof MoneyError)) throw e;
    const message = `the transaction amount (54) does not fit ${alpha}`;
    throw new Refusal('qr_field_invalid', message, amount.position, '54');
  }
}

function subfields(o: DataObject | undefined): Record<string, string> | null {
  if (!o?.children) return null;
  return Object.fromEntries(o.children.map((c) => [c.id, c.value]));
}

function kinkoAccount(objects: readonly DataObject[]): StorePayloadFields['kinko'] {
  const template = objects.find((o) =>
    o.children?.some((c) => c.id === '00' && c.value === KINKO_GUID),
  );
  if (!template?.children) return null;
  const inner = byId(template.children);
  return {
    merchantId: requireIn(inner, '01', `${template.id}.01`, 'the Kinko merchant id').value,
    storeId: requireIn(inner, '02', `${template.id}.02`, 'the Kinko store id').value,
  };
}

const ADDITIONAL_NAMES: Readonly<Record<string, string>> = {
  '01': 'billNumber',
  '02': 'mobileNumber',
  '03': 'storeLabel',
  '04': 'loyaltyNumber',
  '05': 'referenceLabel',
  '06': 'customerLabel',
  '07': 'terminalLabel',
  '08': 'purposeOfTransaction',
  '09': 'additionalConsumerDataRequest',
};

function additionalData(o: DataObject | undefined): Record<string, string> | null {
  if (!o?.children) return null;
  return Object.fromEntries(o.children.map((c) => [ADDITIONAL_NAMES[c.id] ?? c.id, c.value]));
}

function fieldsOf(objects: readonly DataObject[]): StorePayloadFields {
  const root = byId(objects);
  const value = (id: string) => root.get(id)?.value ?? null;
  const accounts: Record<string, string | Record<string, string>> = {};
  for (const o of objects) {
    if (Number(o.id) >= 2 && Number(o.id) <= 51) accounts[o.id] = subfields(o) ?? o.value;
  }
  const language = subfields(root.get('64'));
  const poi = value('01');
  const currencyNumeric = value('53') ?? '';
  return {
    payloadFormatIndicator: value('00') ?? '',
    pointOfInitiation: poi === '11' ? 'static' : poi === '12' ? 'dynamic' : null,
    merchantAccounts: accounts,
    kinko: kinkoAccount(objects),
    merchantCategoryCode: value('52') ?? '',
    currencyNumeric,
    currency: CURRENCY_BY_NUMERIC[currencyNumeric] ?? null,
    amount: value('54'),
    tipIndicator: value('55'),
    convenienceFeeFixed: value('56'),
    convenienceFeePercentage: value('57'),
    countryCode: value('58') ?? '',
    merchantName: value('59') ?? '',
    merchantCity: value('60') ?? '',
    postalCode: value('61'),
    additionalData: additionalData(root.get('62')),
    language: language
      ? {
          preference: language['00'] ?? '',
          merchantName: language['01'] ?? '',
          merchantCity: language['02'] ?? null,
        }
      : null,
    crc: value('63') ?? '',
  };
}

/**
 * Reads a scanned store payload. Refuses, in precedence order, `qr_malformed` (structure),
 * `qr_crc_mismatch`, `qr_missing_field` and `qr_field_invalid`, with the position and the
 * data object at fault. It never throws for any input text.
 */
export function parseStorePayload(text: string): StorePayloadParse {
  try {
    // A character is at most two UTF-16 units, so longer text is refused before it is split.
    const tooLong = `the payload exceeds ${STORE_PAYLOAD_CHARS_MAX} characters`;
    if (text.length > 2 * STORE_PAYLOAD_CHARS_MAX) throw new Refusal('qr_malformed', tooLong);
    // Characters, not UTF-16 units: EMVCo lengths count characters, and a character outside
    // the Basic Multilingual Plane is two units in a JavaScript string.
    const chars = Array.from(text);
    checkFrame(text, chars);
    const objects = readObjects(chars, 0, chars.length);
    checkOrder(objects);
    checkRequired(objects);
    checkFormats(objects);
    return { ok: true, fields: fieldsOf(objects), objects };
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    const { reason, message, position, tag } = e;
    return {
      ok: false,
      reason,
      message,
      ...(position === undefined ? {} : { position }),
      ...(tag === undefined ? {} : { tag }),
    };
  }
}

export interface StorePayloadInput {
  /** Kinko's merchant and store ids, written into Kinko's template (26). */
  readonly merchantId: string;
  readonly storeId: string;
  /** ASCII, at most 25 characters (EMVCo "ans"); the Japanese name goes in merchantNameJa. */
  readonly merchantName: string;
  /** ASCII, at most 15 characters. */
  readonly merchantCity: string;
  /** Required by JPQR: the store's postal code, e.g. "1000005". */
  readonly postalCode: string;
  /** ISO 18245 merchant category code, 4 digits. */
  readonly mcc: string;
  /** ISO 4217 alphabetic; Kinko's stores are in JPY. */
  readonly currency?: string;
  readonly countryCode?: string;
  /** In minor units; makes the payload dynamic (one payment of this amount). */
  readonly amount?: bigint;
  readonly storeLabel?: string;
  readonly terminalLabel?: string;
  /** The store's name and city in Japanese, written in the language template (64, "JA"). */
  readonly merchantNameJa?: string;
  readonly merchantCityJa?: string;
}

function invalid(param: string, message: string) {
  return codesError('qr_field_invalid', { param, message });
}

function dataObject(id: string, value: string, param: string): string {
  const length = Array.from(value).length;
  if (length < 1 || length > 99) {
    throw invalid(param, `${param} must be 1 to 99 characters in its data object`);
  }
  return id + String(length).padStart(2, '0') + value;
}

function checkedText(param: string, value: string, max: number, format = ANS): string {
  if (Array.from(value).length > max || !format.test(value)) {
    const chars = format === ANS ? 'printable ASCII characters' : 'characters';
    throw invalid(param, `${param} must be 1 to ${max} ${chars}`);
  }
  return value;
}

function amountObject(input: StorePayloadInput, currency: string): string {
  if (input.amount === undefined) return '';
  if (input.amount <= 0n) throw invalid('amount', 'amount must be positive');
  const formatted = formatAmount(input.amount, currency);
  if (formatted.length > 13) throw invalid('amount', 'amount must be at most 13 characters');
  return dataObject('54', formatted, 'amount');
}

function additionalObject(input: StorePayloadInput): string {
  const inner =
    (input.storeLabel === undefined
      ? ''
      : dataObject('03', checkedText('storeLabel', input.storeLabel, 25), 'storeLabel')) +
    (input.terminalLabel === undefined
      ? ''
      : dataObject('07', checkedText('terminalLabel', input.terminalLabel, 25), 'terminalLabel'));
  return inner === '' ? '' : dataObject('62', inner, 'additional data');
}

function languageObject(input: StorePayloadInput): string {
  if (input.merchantNameJa === undefined) {
    if (input.merchantCityJa !== undefined) {
      throw invalid('merchantNameJa', 'merchantNameJa is required with merchantCityJa');
    }
    return '';
  }
  const name = checkedText('merchantNameJa', input.merchantNameJa, 25, ANY_SCRIPT);
  const city =
    input.merchantCityJa === undefined
      ? ''
      : dataObject(
          '02',
          checkedText('merchantCityJa', input.merchantCityJa, 15, ANY_SCRIPT),
          'merchantCityJa',
        );
  return dataObject(
    '64',
    dataObject('00', 'JA', 'language') + dataObject('01', name, 'merchantNameJa') + city,
    'language template',
  );
}

/**
 * Builds a store's QR payload: static without an amount (point of initiation "11"), dynamic
 * with one ("12"). Throws `qr_field_invalid` naming the input at fault.
 */
export function buildStorePayload(input: StorePayloadInput): string {
  const currency = input.currency ?? 'JPY';
  const numeric = NUMERIC_BY_CURRENCY[currency];
  if (numeric === undefined || !isCurrency(currency)) {
    throw invalid('currency', `currency ${currency} is not supported`);
  }
  if (!/^\d{4}$/.test(input.mcc)) throw invalid('mcc', 'mcc must be 4 digits');
  const country = input.countryCode ?? 'JP';
  if (!/^[A-Z]{2}$/.test(country)) throw invalid('countryCode', 'countryCode must be 2 letters');
  const account =
    dataObject('00', KINKO_GUID, 'guid') +
    dataObject('01', checkedText('merchantId', input.merchantId, 99), 'merchantId') +
    dataObject('02', checkedText('storeId', input.storeId, 99), 'storeId');
  const body =
    dataObject('00', '01', 'payload format') +
    dataObject('01', input.amount === undefined ? '11' : '12', 'point of initiation') +
    dataObject(KINKO_TEMPLATE_ID, account, 'merchantId') +
    dataObject('52', input.mcc, 'mcc') +
    dataObject('53', numeric, 'currency') +
    amountObject(input, currency) +
    dataObject('58', country, 'countryCode') +
    dataObject('59', checkedText('merchantName', input.merchantName, 25), 'merchantName') +
    dataObject('60', checkedText('merchantCity', input.merchantCity, 15), 'merchantCity') +
    dataObject('61', checkedText('postalCode', input.postalCode, 10), 'postalCode') +
    additionalObject(input) +
    languageObject(input) +
    '6304';
  const payload = body + crc16Hex(body);
  if (Array.from(payload).length > STORE_PAYLOAD_CHARS_MAX) {
    throw invalid('merchantName', `the payload exceeds ${STORE_PAYLOAD_CHARS_MAX} characters`);
  }
  // What Kinko writes, Kinko must read back: a refusal here is a bug in the builder.
  const check = parseStorePayload(payload);
  assert(check.ok, `built store payload does not parse: ${check.ok ? '' : check.message}`);
  return payload;
}
