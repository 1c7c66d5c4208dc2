import type { Sql } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Audit } from '../audit/index.ts';
import { raiseIncident } from '../incidents/index.ts';
import { wrapAad } from './crypto.ts';
import type { KeyProvider } from './keys.ts';
import { EXEMPT_COLUMNS, findPans, scanText, type ScanFinding, type ScanResult } from './scan.ts';
import * as store from './store.ts';

// Operator jobs: `kinko keys rotate` and `kinko vault scan`.

export interface RotateResult {
  newVersion: number;
  rewrapped: number;
  /** Versions destroyed because no data key uses them any more. */
  retired: number[];
  /** Versions still in use (a card was locked during the run); run rotate's re-wrap again. */
  remaining: Array<{ version: number; cards: number }>;
}

interface RotateDeps {
  sql: Sql;
  clock: Clock;
  audit: Pick<Audit, 'append'>;
  keyProvider: KeyProvider;
  limits: { vaultRewrapBatchSizeMax: number };
  log: Logger;
}

/**
 * Creates a new KEK version, makes it current (new cards use it at once), re-wraps every data
 * key in batches of short transactions (cards stay usable throughout: a card is unwrapped with
 * whichever version its row names), then retires versions no row uses.
 */
export async function rotateKeys(
  deps: RotateDeps,
  options: { createVersion?: boolean } = {},
): Promise<RotateResult> {
  const newVersion =
    options.createVersion === false
      ? await deps.keyProvider.currentVersion()
      : await deps.keyProvider.createVersion();
  let rewrapped = 0;
  for (;;) {
    const n = await deps.sql.begin(async (tx) => {
      const rows = await store.cardsToRewrap(tx, newVersion, deps.limits.vaultRewrapBatchSizeMax);
      const out: Array<{ token: string; wrapped: Buffer; version: number }> = [];
      for (const r of rows) {
        assert(r.wrapped_key && r.kek_version !== null, 'live card without a data key');
        const key = await deps.keyProvider.unwrap(
          r.kek_version,
          r.wrapped_key,
          wrapAad(r.token, r.kek_version),
        );
        const w = await deps.keyProvider.wrap(key, (v) => wrapAad(r.token, v));
        key.fill(0);
        assert(w.version === newVersion, 'the current KEK version changed during rotation');
        out.push({ token: r.token, wrapped: w.wrapped, version: w.version });
      }
      await store.rewrapCards(tx, out);
      if (out.length > 0) {
        await deps.audit.append(tx, [
          {
            action: 'vault.keys.rewrapped',
            actor: { type: 'cli', id: 'keys rotate' },
            outcome: 'success',
            detail: { cards: out.length, kek_version: newVersion },
          },
        ]);
      }
      return out.length;
    });
    rewrapped += n;
    if (n === 0) break;
    deps.log.info({ rewrapped, kek_version: newVersion }, 'vault data keys re-wrapped');
  }
  const inUse = await store.kekVersionsInUse(deps.sql);
  const used = new Set(inUse.map((u) => u.version));
  const retired = (await deps.keyProvider.versions()).filter(
    (v) => v !== newVersion && !used.has(v),
  );
  if (retired.length > 0) await deps.keyProvider.retire(retired);
  await deps.sql.begin((tx) =>
    deps.audit.append(tx, [
      {
        action: 'vault.keys.rotated',
        actor: { type: 'cli', id: 'keys rotate' },
        outcome: 'success',
        detail: { kek_version: newVersion, rewrapped, retired },
      },
    ]),
  );
  return {
    newVersion,
    rewrapped,
    retired,
    remaining: inUse.filter((u) => u.version !== newVersion),
  };
}

interface ScanDeps {
  sql: Sql;
  clock: Clock;
  /** The incident a finding opens is audited in the same transaction. */
  audit: Pick<Audit, 'append'>;
  limits: { vaultScanFindingsPerColumnMax: number };
  log: Logger;
}

/**
 * Searches every text-like column of every table for card numbers outside the vault's
 * ciphertext. Any finding opens an incident; the result's exitCode is then 1.
 */
export async function scanForPans(deps: ScanDeps): Promise<ScanResult> {
  const columns = (await store.scannableColumns(deps.sql)).filter(
    (c) => !EXEMPT_COLUMNS.has(`${c.table}.${c.column}`),
  );
  const findings: ScanFinding[] = [];
  let findingCount = 0;
  for (const col of columns) {
    let kept = 0;
    await store.scanColumn(deps.sql, col, (rows) => {
      for (const r of rows) {
        for (const masked of findPans(scanText(r.value))) {
          findingCount += 1;
          if (kept < deps.limits.vaultScanFindingsPerColumnMax) {
            findings.push({ table: col.table, column: col.column, row: r.row, masked });
            kept += 1;
          }
        }
      }
    });
  }
  let incidentId: string | undefined;
  if (findingCount > 0) {
    const where = [...new Set(findings.map((f) => `${f.table}.${f.column}`))];
    // One key for every finding: while the incident is live, a scan that finds card numbers
    // again (the same or other columns) joins it rather than opening another.
    const summary = `${findingCount} card number(s) found outside the vault in ${where.join(', ')}`;
    const raised = await deps.sql.begin((tx) =>
      raiseIncident(tx, deps, {
        detector: 'vault.pan_scan',
        key: 'card_numbers_outside_vault',
        kind: 'vault.pan_discovered',
        title: 'Card numbers found outside the vault',
        severity: 'critical',
        summary: summary.slice(0, 500),
        detail: { finding_count: findingCount, findings: findings.map((f) => ({ ...f })) },
        at: deps.clock.now(),
      }),
    );
    incidentId = raised.incidentId;
    deps.log.error(
      { finding_count: findingCount, columns: where, incident_id: incidentId },
      'card numbers found outside the vault',
    );
  }
  return {
    ok: findingCount === 0,
    columnsScanned: columns.length,
    findings,
    findingCount,
    incidentId,
    exitCode: findingCount === 0 ? 0 : 1,
  };
}
