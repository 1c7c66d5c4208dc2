import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Config } from './config.ts';
import { backup, connect, readBackupHeader, restore, type KeyFileNote } from './db/index.ts';
import type { Logger } from './lib/log.ts';
import { openDatabase, upgradeDatabase, VERSION } from './main.ts';

// `kinko backup FILE` and `kinko restore FILE`: Kinko's own logical backup (db/backup.ts),
// taken from one snapshot while the platform runs, restored into an empty database. The
// key files stay out of every backup; both commands name the ones a restore needs.

interface Context {
  config: Config;
  log: Logger;
  out: (line: string) => void;
  err: (line: string) => void;
}

export const BACKUP_USAGE = 'kinko backup FILE';
export const RESTORE_USAGE = 'kinko restore FILE';

/** The key files outside the database that the data needs, with their fingerprints. */
function keyFiles(config: Config): KeyFileNote[] {
  const notes: Array<[string, string]> = [
    ['audit signing key (checkpoints; audit verify)', config.auditSigningKeyFile],
    ['vault key-encryption keys (card data)', config.vaultKeyFile],
    ['webhook secrets key', config.webhookSecretsKeyFile],
    ['identity secrets key (TOTP secrets)', config.identitySecretsKeyFile],
    ['payment-code key', config.paymentCodeKeyFile],
  ];
  return notes.map(([use, file]) => ({ use, path: file, fingerprint: fingerprint(file) }));
}

function fingerprint(file: string): string | null {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
  } catch {
    return null;
  }
}

function totalRows(rows: Record<string, number>): number {
  return Object.values(rows).reduce((a, b) => a + b, 0);
}

export async function backupCommand(args: string[], ctx: Context): Promise<number> {
  const file = args[0];
  if (!file || args.length > 1) {
    ctx.err(`usage: ${BACKUP_USAGE}`);
    return 2;
  }
  if (fs.existsSync(file)) {
    ctx.err(`kinko backup: ${file} exists; choose a new file name`);
    return 1;
  }
  // Reads only: no migrations, no statement timeout (a large table takes what it takes).
  const db = await openDatabase(ctx.config, ctx.log, { shareRunning: true, statementTimeoutMs: 0 });
  try {
    const keysNeeded = keyFiles(ctx.config);
    const { header, rows } = await backup(db.sql, file, { kinkoVersion: VERSION, keysNeeded });
    ctx.out(
      `backup ${file}: ${header.tables.length} tables, ${totalRows(rows)} rows, schema version ` +
        `${header.schemaVersion}, one snapshot at ${header.takenAt} (${db.description})`,
    );
    ctx.out('It holds no keys. A restore needs these files, kept apart from the backup:');
    for (const k of keysNeeded) {
      ctx.out(`  ${k.use}: ${k.path} (${k.fingerprint ? `sha256 ${k.fingerprint}…` : 'absent'})`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

export async function restoreCommand(args: string[], ctx: Context): Promise<number> {
  const file = args[0];
  if (!file || args.length > 1) {
    ctx.err(`usage: ${RESTORE_USAGE}`);
    return 2;
  }
  const header = await readBackupHeader(file);
  const db = await openDatabase(ctx.config, ctx.log, { statementTimeoutMs: 0 });
  try {
    // As the schema's owner: only the owner may turn triggers off while the rows load.
    const owner = db.owner ? connect(db.owner.url, { statementTimeoutMs: 0 }) : db.sql;
    try {
      const { rows } = await restore(owner, file, { servingRole: db.owner?.servingRole });
      ctx.out(
        `restored ${file} (taken ${header.takenAt}): ${totalRows(rows)} rows into ` +
          db.description,
      );
    } finally {
      if (owner !== db.sql) await owner.end({ timeout: 5 });
    }
    await upgradeDatabase(ctx.config, ctx.log, db);
    checkKeys(header.keysNeeded, keyFiles(ctx.config), ctx);
    const anchor = ctx.config.auditAnchorFile;
    ctx.out(
      'Next: kinko ledger check; kinko audit verify. An audit anchor written after the backup ' +
        `(${anchor}) reports the entries since as missing.`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

/** Compares the key files the backup named with the ones configured here. */
function checkKeys(needed: KeyFileNote[], here: KeyFileNote[], ctx: Context): void {
  ctx.out('Key files (never in the backup):');
  let missing = 0;
  for (const k of needed) {
    const local = here.find((h) => h.use === k.use);
    const state = !local?.fingerprint
      ? 'MISSING here'
      : k.fingerprint && local.fingerprint !== k.fingerprint
        ? `DIFFERENT from the backup's (${k.fingerprint}…)`
        : 'present';
    if (state !== 'present') missing += 1;
    ctx.out(`  ${k.use}: ${local?.path ?? k.path}: ${state}`);
  }
  if (missing > 0) {
    ctx.err(
      `${missing} key file(s) missing or different: copy them from where the backup was taken ` +
        'before serving, or the data they protect cannot be read or verified',
    );
  }
}
