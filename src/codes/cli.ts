import { parseArgs } from 'node:util';
import { KinkoError } from '../lib/errors.ts';
import { MoneyError, parseAmount } from '../money/index.ts';
import { codesError } from './errors.ts';
import { buildStorePayload, parseStorePayload, type StorePayloadInput } from './emvco.ts';

// The `kinko qr` commands, as functions of their arguments and two line writers so that the
// CLI wires them and tests call them directly. Exit codes follow the CLI: 0 success, 2 bad
// usage or an invalid payload or field.

type LineWriter = (line: string) => void;

export const QR_PARSE_USAGE = 'kinko qr parse PAYLOAD';
export const QR_MAKE_USAGE =
  'kinko qr make --merchant-id ID --store-id ID --merchant-name NAME --city CITY ' +
  '--mcc NNNN --postal-code CODE [--amount AMOUNT] [--currency JPY] [--country JP] ' +
  '[--store-label TEXT] [--terminal-label TEXT] [--name-ja 名前] [--city-ja 市区町村]';

function usageError(err: LineWriter, usage: string, message: string): number {
  err(`kinko qr: ${message}`);
  err(`usage: ${usage}`);
  return 2;
}

/** `kinko qr parse PAYLOAD`: the parsed fields as JSON on stdout; exit 2 when invalid. */
export function qrParseCommand(args: string[], out: LineWriter, err: LineWriter): number {
  let positionals: string[];
  try {
    positionals = parseArgs({ args, allowPositionals: true, strict: true }).positionals;
  } catch (e) {
    return usageError(err, QR_PARSE_USAGE, e instanceof Error ? e.message : String(e));
  }
  if (positionals.length !== 1) {
    return usageError(err, QR_PARSE_USAGE, 'expected exactly one payload (quote it)');
  }
  const result = parseStorePayload(positionals[0]!);
  if (!result.ok) {
    const { reason, message, position, tag } = result;
    out(JSON.stringify({ valid: false, reason, message, position, tag }, null, 2));
    const at = position === undefined ? '' : ` at character ${position}`;
    err(`kinko qr parse: ${reason}: ${message}${at}`);
    return 2;
  }
  out(JSON.stringify({ valid: true, fields: result.fields, objects: result.objects }, null, 2));
  return 0;
}

const MAKE_OPTIONS = {
  'merchant-id': { type: 'string' },
  'store-id': { type: 'string' },
  'merchant-name': { type: 'string' },
  city: { type: 'string' },
  mcc: { type: 'string' },
  'postal-code': { type: 'string' },
  amount: { type: 'string' },
  currency: { type: 'string', default: 'JPY' },
  country: { type: 'string', default: 'JP' },
  'store-label': { type: 'string' },
  'terminal-label': { type: 'string' },
  'name-ja': { type: 'string' },
  'city-ja': { type: 'string' },
} as const;

const MAKE_REQUIRED = [
  'merchant-id',
  'store-id',
  'merchant-name',
  'city',
  'mcc',
  'postal-code',
] as const;

type MakeValues = ReturnType<typeof parseArgs<{ options: typeof MAKE_OPTIONS }>>['values'];

function makeInput(v: MakeValues): StorePayloadInput {
  const currency = v.currency ?? 'JPY';
  let amount: bigint | undefined;
  if (v.amount !== undefined) {
    try {
      amount = parseAmount(v.amount, currency);
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      throw codesError('qr_field_invalid', { param: 'amount', message: e.message });
    }
  }
  return {
    merchantId: v['merchant-id'] ?? '',
    storeId: v['store-id'] ?? '',
    merchantName: v['merchant-name'] ?? '',
    merchantCity: v.city ?? '',
    mcc: v.mcc ?? '',
    postalCode: v['postal-code'] ?? '',
    currency,
    countryCode: v.country ?? 'JP',
    ...(amount === undefined ? {} : { amount }),
    ...(v['store-label'] === undefined ? {} : { storeLabel: v['store-label'] }),
    ...(v['terminal-label'] === undefined ? {} : { terminalLabel: v['terminal-label'] }),
    ...(v['name-ja'] === undefined ? {} : { merchantNameJa: v['name-ja'] }),
    ...(v['city-ja'] === undefined ? {} : { merchantCityJa: v['city-ja'] }),
  };
}

/** `kinko qr make …`: a store's EMVCo/JPQR payload on stdout; exit 2 on a bad option. */
export function qrMakeCommand(args: string[], out: LineWriter, err: LineWriter): number {
  let values: MakeValues;
  try {
    values = parseArgs({ args, options: MAKE_OPTIONS, strict: true }).values;
  } catch (e) {
    return usageError(err, QR_MAKE_USAGE, e instanceof Error ? e.message : String(e));
  }
  const missing = MAKE_REQUIRED.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    return usageError(err, QR_MAKE_USAGE, `missing ${missing.map((m) => `--${m}`).join(', ')}`);
  }
  try {
    out(buildStorePayload(makeInput(values)));
    return 0;
  } catch (e) {
    if (!(e instanceof KinkoError)) throw e;
    err(`kinko qr make: ${e.code}: ${e.message}`);
    return 2;
  }
}
