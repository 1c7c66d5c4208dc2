import { luhnValid } from '../lib/redact.ts';

// The pure half of the card-number discovery scan (GMO-PG 2017: the operator did not know
// card data sat where it did). A finding is a 13–19 digit run, spaces or dashes between
// digits allowed, passing Luhn. Findings are reported masked: BIN and last four only.

const RUN = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

/** Card-number-like runs in text, masked. Longer digit runs are not card numbers. */
export function findPans(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(RUN)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (luhnValid(digits)) found.push(mask(digits));
  }
  return found;
}

export function mask(digits: string): string {
  return `${digits.slice(0, 6)}${'•'.repeat(digits.length - 10)}${digits.slice(-4)}`;
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
