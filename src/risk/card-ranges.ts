import { performance } from 'node:perf_hooks';
import type { Db } from '../db/index.ts';

// The card range (BIN) table, for the `card_country` and `card_funding` signals: which
// issuer country and funding (credit, debit, prepaid) a card's first six digits belong to.
// The vault keeps those six digits (PCI DSS 3.4.1 allows them) and hands them to the engine
// with the card's other facts. Real data comes from the card schemes' BIN (account range)
// files, which acquirers and processors receive under licence (Visa's ARDEF, Mastercard's
// BIN table, JCB's and the others' equivalents), or from a commercial BIN service under its
// terms; the acquirer's authorization response also reports funding and country for each
// card it sees. Kinko ships no such data: `kinko risk bin-table load FILE` reads a CSV file
// the operator exports from one of those sources, replacing the whole table, and each
// process reads it into sorted arrays every CARD_RANGES_REFRESH_MS. A card in no range
// reads `unknown` for both. src/risk/card-ranges-test-cards.csv holds the ranges of the
// public test cards only (test data, for trying the loader), never real issuers.
//
// The file: UTF-8 text, one range a line, `#` comments and blank lines skipped, a header
//   bin_low,bin_high,country,funding,brand
// then e.g. `424242,424242,US,credit,visa`: the first and last six-digit prefix (inclusive),
// the issuer's ISO 3166 alpha-2 country or `unknown`, credit|debit|prepaid|unknown, and the
// brand (visa, mastercard, jcb, amex, diners, discover, unionpay or unknown). Ranges must
// not overlap.

/** How long a process uses the table it read before reading it again (a load is rare). */
const CARD_RANGES_REFRESH_MS = 60_000;

/** A file larger than this is not a BIN table Kinko reads (a full scheme export is less). */
export const CARD_RANGES_FILE_BYTES_MAX = 32 * 1024 * 1024;

/** At most this many ranges: there are about a million six-digit prefixes. */
const CARD_RANGES_MAX = 1_000_000;

const CARD_RANGES_HEADER = 'bin_low,bin_high,country,funding,brand';

const CARD_FUNDINGS = ['credit', 'debit', 'prepaid', 'unknown'] as const;
const BRANDS = ['visa', 'mastercard', 'jcb', 'amex', 'diners', 'discover', 'unionpay'];

export interface CardRange {
  binLow: string;
  binHigh: string;
  country: string;
  funding: (typeof CARD_FUNDINGS)[number];
  brand: string;
}

export class CardRangesFileInvalid extends Error {}

/** The ranges of a BIN table file, in file order; refuses the whole file on any bad line. */
export function parseCardRanges(text: string): CardRange[] {
  const ranges: CardRange[] = [];
  let header = false;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo += 1;
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!header) {
      if (line.replace(/\s/g, '') !== CARD_RANGES_HEADER) {
        throw new CardRangesFileInvalid(`line ${lineNo}: the header must be ${CARD_RANGES_HEADER}`);
      }
      header = true;
      continue;
    }
    const r = rangeOf(line.split(',').map((f) => f.trim()));
    if (typeof r === 'string') throw new CardRangesFileInvalid(`line ${lineNo}: ${r}`);
    ranges.push(r);
    if (ranges.length > CARD_RANGES_MAX) {
      throw new CardRangesFileInvalid(`more than ${CARD_RANGES_MAX} ranges`);
    }
  }
  if (ranges.length === 0) throw new CardRangesFileInvalid('no range found');
  const sorted = [...ranges].sort((a, b) => Number(a.binLow) - Number(b.binLow));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.binLow <= sorted[i - 1]!.binHigh) {
      throw new CardRangesFileInvalid(
        `ranges ${sorted[i - 1]!.binLow}-${sorted[i - 1]!.binHigh} and ` +
          `${sorted[i]!.binLow}-${sorted[i]!.binHigh} overlap`,
      );
    }
  }
  return ranges;
}

/** One line's range, or what is wrong with it. */
function rangeOf(f: string[]): CardRange | string {
  if (f.length !== 5) return `${f.length} fields, not 5`;
  const [binLow, binHigh, country, funding, brand] = f as [string, string, string, string, string];
  if (!/^[0-9]{6}$/.test(binLow) || !/^[0-9]{6}$/.test(binHigh)) {
    return 'bin_low and bin_high must be six digits';
  }
  if (binLow > binHigh) return 'bin_low is after bin_high';
  if (!/^[A-Z]{2}$/.test(country) && country !== 'unknown') {
    return 'country must be two capital letters (ISO 3166 alpha-2) or unknown';
  }
  if (!(CARD_FUNDINGS as readonly string[]).includes(funding)) {
    return `funding must be one of ${CARD_FUNDINGS.join(', ')}`;
  }
  if (!BRANDS.includes(brand) && brand !== 'unknown') {
    return `brand must be one of ${BRANDS.join(', ')} or unknown`;
  }
  return { binLow, binHigh, country, funding: funding as CardRange['funding'], brand };
}

/** The table as one process holds it: ranges sorted by their first prefix, bisected. */
export class CardRanges {
  private lows: number[] = [];
  private ranges: CardRange[] = [];
  private loadedAtMs = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(private readonly read: (db: Db) => Promise<CardRange[]>) {}

  /** Reads the table again when this process's copy is older than the refresh interval. */
  async refresh(db: Db): Promise<void> {
    if (performance.now() - this.loadedAtMs < CARD_RANGES_REFRESH_MS) return;
    this.loading ??= this.load(db).finally(() => (this.loading = null));
    return this.loading;
  }

  /** Forgets the copy: the next decision reads the table (after a load). */
  invalidate(): void {
    this.loadedAtMs = -Infinity;
  }

  /** The range holding a card's six-digit BIN, if any. */
  lookup(bin: string): CardRange | undefined {
    if (!/^[0-9]{6}$/.test(bin)) return undefined;
    const x = Number(bin);
    let lo = 0;
    let hi = this.lows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (x < this.lows[mid]!) hi = mid - 1;
      else if (x > Number(r.binHigh)) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  private async load(db: Db): Promise<void> {
    const rows = (await this.read(db)).sort((a, b) => Number(a.binLow) - Number(b.binLow));
    this.ranges = rows;
    this.lows = rows.map((r) => Number(r.binLow));
    this.loadedAtMs = performance.now();
  }
}
