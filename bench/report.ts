import { execFileSync } from 'node:child_process';

// What every benchmark prints last: one JSON line with its figures and its reference's,
// measured in the same run, so that runs can be compared across commits and machines (the
// absolute figures of a shared 2-core VM move by 2× from one run to the next; a ratio to a
// reference measured beside it moves far less). And the checks every benchmark ends with:
// a benchmark that left the ledger or the audit chain wrong has measured nothing.

export interface Report {
  /** The benchmark's name, as in `npm run bench:<name>`. */
  bench: string;
  figures: Record<string, unknown>;
  /** The reference measured in the same run (null when the benchmark has none). */
  reference: Record<string, unknown> | null;
  /** Figure ÷ reference, and the targets they are held to. */
  ratios?: Record<string, number>;
  targets?: Record<string, string>;
  /** Every target met (absent when there is none). */
  ok?: boolean;
  checks?: Record<string, string>;
}

function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return head.trim() + (dirty.trim() ? '+dirty' : '');
  } catch {
    return 'unknown';
  }
}

/** Prints the report as one JSON line (bigints as strings), with the commit and the time. */
export function printReport(report: Report): void {
  const line = JSON.stringify(
    { ...report, commit: commitOf(), at: new Date().toISOString() },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
  process.stdout.write(`${line}\n`);
}

/** Rounds for the report: figures to 3 significant digits are all a noisy VM can tell. */
export const round = (x: number, digits = 3): number =>
  Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;

export interface Checkable {
  ledger: { check(): Promise<{ ok: boolean; discrepancy?: unknown }> };
  audit: {
    verify(): Promise<{ ok: boolean; entries?: unknown; seq?: unknown; problem?: unknown }>;
  };
}

/**
 * `kinko ledger check` and `kinko audit verify` after a benchmark; throws (the benchmark
 * exits non-zero) when either fails, and returns what they said for the report.
 */
export async function checkAfter(m: Checkable): Promise<Record<string, string>> {
  const ledger = await m.ledger.check();
  if (!ledger.ok) {
    throw new Error(`ledger check FAILED after the benchmark: ${String(ledger.discrepancy)}`);
  }
  const audit = await m.audit.verify();
  if (!audit.ok) {
    throw new Error(
      `audit verify FAILED after the benchmark at entry ${String(audit.seq)}: ` +
        String(audit.problem),
    );
  }
  return { ledger: 'ok', audit: `ok (${String(audit.entries)} entries)` };
}
