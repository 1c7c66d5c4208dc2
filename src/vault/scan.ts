import { findCardNumbers, maskedDigits } from '../lib/card-numbers.ts';

// The pure half of the card-number discovery scan (GMO-PG 2017: the operator did not know
// card data sat where it did). A finding is what lib/card-numbers.ts calls a card number, the
// same rule the API, outbox and log guards apply, so the scan raises no alarm over a UUID,
// a timestamp or a phone number. Findings are reported masked: BIN and last four only.

/** Card numbers in text, masked. */
export function findPans(text: string): string[] {
  return findCardNumbers(text).map((f) => mask(f.digits));
}

function mask(digits: string): string {
  return maskedDigits(digits);
}

/**
 * The text to search in a column's value. Bytes are read as Latin-1 with control bytes as
 * spaces, so a number written after a newline byte is seen. (JSON text needs nothing: the
 * detector reads an escape such as `\n` before a number as the boundary it is.)
 */
export function scanText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1').replace(/[\x00-\x1f\x7f]/g, ' ');
  return String(value);
}

/** Columns that hold the vault's own sealed data: ciphertext, not card numbers. */
export const EXEMPT_COLUMNS: ReadonlySet<string> = new Set([
  'vault_cards.ciphertext',
  'vault_cards.wrapped_key',
  'vault_cards.fingerprint',
]);

export interface ScanFinding {
  table: string;
  column: string;
  /** The row's physical address (ctid) at scan time. */
  row: string;
  /** BIN and last four of what was found. */
  masked: string;
}

export interface ScanResult {
  ok: boolean;
  columnsScanned: number;
  findings: ScanFinding[];
  /** Exact number of findings, even when `findings` was cut at the per-column maximum. */
  findingCount: number;
  incidentId: string | undefined;
  exitCode: 0 | 1;
}
