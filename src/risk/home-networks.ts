import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/index.ts';

// The home country's address ranges, for the `source_home` signal. The data is the regional
// registry's delegated statistics file: for Japan, APNIC's (JPNIC's allocations are in it),
// published daily at https://ftp.apnic.net/stats/apnic/delegated-apnic-extended-latest in
// the format documented at https://www.apnic.net/about-apnic/corporate-documents/documents/
// resource-guidelines/rir-statistics-exchange-format/ — one line per block:
//   registry|cc|type|start|value|date|status[|opaque-id]
// where an ipv4 block is `value` addresses from `start` and an ipv6 block is `start/value`.
// `kinko risk ip-table load FILE` keeps the blocks of the home country (allocated or
// assigned) in risk_home_networks, replacing the previous load; every process reads the
// table into sorted arrays and reloads it every HOME_NETWORKS_REFRESH_MS.
// With no table loaded every address counts as home (the documented fallback), so that an
// incomplete table never makes the whole country look foreign.

/** The country Kinko runs in: the delegated file's two-letter code. */
export const HOME_COUNTRY = 'JP';

/** How long a process uses the table it read before reading it again (a load is rare). */
const HOME_NETWORKS_REFRESH_MS = 60_000;

/** A delegated file larger than this is not one (APNIC's whole file is about 10 MB). */
export const DELEGATED_FILE_BYTES_MAX = 64 * 1024 * 1024;

interface AddressRange {
  /** The first and last address, as PostgreSQL's inet reads them. */
  first: string;
  last: string;
}

interface Parsed {
  ranges: AddressRange[];
  registry: string;
  /** Lines of another country, type or status, headers and summaries. */
  skipped: number;
}

export class DelegatedFileInvalid extends Error {}

/** The home country's blocks in a delegated statistics file. */
export function parseDelegated(text: string, country = HOME_COUNTRY): Parsed {
  const ranges: AddressRange[] = [];
  let registry = '';
  let skipped = 0;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo += 1;
    const line = raw.trim();
    const f = line.split('|');
    // Comments, the version line (its first field is a number), summaries (`…|*|…|summary`).
    if (!line || line.startsWith('#') || /^\d/.test(f[0]!) || f[5] === 'summary') {
      skipped += 1;
      continue;
    }
    if (f.length < 7) throw new DelegatedFileInvalid(`line ${lineNo}: fewer than 7 fields`);
    const [reg, cc, type, start, value, , status] = f as [string, ...string[]];
    const wanted =
      cc === country && (status === 'allocated' || status === 'assigned') && type !== 'asn';
    if (!wanted) {
      skipped += 1;
      continue;
    }
    registry ||= reg;
    const range = type === 'ipv4' ? v4Block(start!, value!) : v6Block(start!, value!);
    if (!range) throw new DelegatedFileInvalid(`line ${lineNo}: not a valid ${type} block`);
    ranges.push(range);
  }
  if (ranges.length === 0) throw new DelegatedFileInvalid(`no ${country} address block found`);
  return { ranges, registry, skipped };
}

function v4Block(start: string, count: string): AddressRange | undefined {
  const first = v4Number(start);
  const n = Number(count);
  if (first === undefined || !Number.isInteger(n) || n < 1 || first + n > 2 ** 32) return;
  return { first: start, last: v4Text(first + n - 1) };
}

function v6Block(start: string, prefix: string): AddressRange | undefined {
  const bits = Number(prefix);
  if (isIP(start) !== 6 || !Number.isInteger(bits) || bits < 1 || bits > 128) return;
  const host = (1n << BigInt(128 - bits)) - 1n;
  const first = v6Number(start) & ~host;
  return { first: v6Text(first), last: v6Text(first | host) };
}

const v4Number = (ip: string): number | undefined => {
  if (isIP(ip) !== 4) return undefined;
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
};

const v4Text = (n: number) =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map(String).join('.');

/** The eight groups of an IPv6 address, each four hex digits. */
export function expand6(ip: string): string[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => x.padStart(4, '0'));
}

const v6Number = (ip: string) => BigInt(`0x${expand6(ip.toLowerCase()).join('')}`);
const v6Text = (n: bigint) => (n.toString(16).padStart(32, '0').match(/.{4}/g) ?? []).join(':');

/**
 * Sorted, merged ranges of one family, searched by bisection. Addresses are plain numbers:
 * an IPv4 address whole, an IPv6 address by its first 48 bits (no registry delegates a block
 * longer than a /48, so nothing is lost, and a number compares faster than a bigint).
 */
class RangeSet {
  private readonly firsts: number[] = [];
  private readonly lasts: number[] = [];

  constructor(ranges: [number, number][]) {
    ranges.sort((a, b) => a[0] - b[0]);
    for (const [first, last] of ranges) {
      const i = this.lasts.length - 1;
      // Adjacent or overlapping blocks merge, which keeps the arrays short.
      if (i >= 0 && first <= this.lasts[i]! + 1) {
        if (last > this.lasts[i]!) this.lasts[i] = last;
      } else {
        this.firsts.push(first);
        this.lasts.push(last);
      }
    }
  }

  get size(): number {
    return this.firsts.length;
  }

  has(x: number): boolean {
    let lo = 0;
    let hi = this.firsts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (x < this.firsts[mid]!) hi = mid - 1;
      else if (x > this.lasts[mid]!) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

/**
 * The first 48 bits of an IPv6 address, as a number. Groups before a `::` are read as they
 * are; a `::` always stands for at least one zero group, so when it comes within the first
 * three groups the groups after it up to the third are zero.
 */
function v6Key(ip: string): number {
  const cut = ip.indexOf('::');
  const head = (cut === -1 ? ip : ip.slice(0, cut)).split(':', 3);
  let key = 0;
  for (let i = 0; i < 3; i++) {
    const g = i < head.length && head[i] !== '' ? parseInt(head[i]!, 16) : 0;
    key = key * 65_536 + g;
  }
  return key;
}

/** The table as one process holds it. */
export class HomeNetworks {
  private v4 = new RangeSet([]);
  private v6 = new RangeSet([]);
  private loadedAtMs = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(private readonly read: (db: Db) => Promise<AddressRange[]>) {}

  /** Reads the table again when this process's copy is older than the refresh interval. */
  async refresh(db: Db): Promise<void> {
    if (performance.now() - this.loadedAtMs < HOME_NETWORKS_REFRESH_MS) return;
    this.loading ??= this.load(db).finally(() => (this.loading = null));
    return this.loading;
  }

  /** Forgets the copy: the next decision reads the table (after a load). */
  invalidate(): void {
    this.loadedAtMs = -Infinity;
  }

  /** Whether an address is in the home country; true while no table is loaded. */
  isHome(ip: string): boolean {
    if (this.v4.size === 0 && this.v6.size === 0) return true;
    const v4 = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    if (isIP(v4) === 4) return this.v4.has(v4Number(v4)!);
    if (isIP(ip) === 6) return this.v6.has(v6Key(ip));
    return true;
  }

  private async load(db: Db): Promise<void> {
    const rows = await this.read(db);
    const v4: [number, number][] = [];
    const v6: [number, number][] = [];
    for (const r of rows) {
      if (isIP(r.first) === 4) v4.push([v4Number(r.first)!, v4Number(r.last)!]);
      else v6.push([v6Key(r.first), v6Key(r.last)]);
    }
    this.v4 = new RangeSet(v4);
    this.v6 = new RangeSet(v6);
    this.loadedAtMs = performance.now();
  }
}
