import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './sql.ts';
import { grantServingRole } from './roles.ts';

// Numbered SQL migrations (migrations/NNNN_name.sql), applied in order, each in its own
// transaction, under an advisory lock so that several processes starting at once apply
// each migration exactly once. A landed migration is never edited: its checksum is
// recorded and a changed file stops start-up.

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);
const LOCK_KEY = 0x6b696e6b6f; // "kinko"

interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  current: number;
}

function readMigrations(dir: string): MigrationFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const out: MigrationFile[] = [];
  for (const file of files) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migration file name ${file} is not NNNN_name.sql`);
    const version = Number(m[1]);
    const prev = out[out.length - 1];
    if (version !== (prev ? prev.version + 1 : 1)) {
      throw new Error(
        `migration ${file} breaks the numbering (expected ${(prev?.version ?? 0) + 1})`,
      );
    }
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    out.push({
      version,
      name: m[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

interface MigrateOptions {
  dir?: string;
  /**
   * The role the server runs as, when it is not the role migrating: after the migrations,
   * in the same transaction, it is granted what it needs and no more (db/roles.ts).
   */
  servingRole?: string | undefined;
  /** Apply only up to this version (a restore rebuilds the backup's schema first). */
  upTo?: number;
}

/**
 * Applies pending migrations. With nothing pending it changes nothing, so a serving role
 * without DDL rights may call it to check the schema is current.
 */
export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrationResult> {
  const files = readMigrations(options.dir ?? MIGRATIONS_DIR).slice(0, options.upTo);
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    const [table] = await tx`select to_regclass('kinko_migrations') as t`;
    if (!table?.['t']) {
      await tx`
        create table kinko_migrations (
          version int primary key,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now()
        )`;
    }
    const done = await tx<{ version: number; name: string; checksum: string }[]>`
      select version, name, checksum from kinko_migrations order by version`;
    for (const row of done) {
      const file = files.find((f) => f.version === row.version);
      if (!file)
        throw new Error(`database has migration ${row.version}_${row.name}, which this code lacks`);
      if (file.checksum !== row.checksum) {
        throw new Error(`migration ${row.version}_${row.name} was edited after it was applied`);
      }
    }
    for (const file of files.slice(done.length)) {
      await tx.unsafe(file.sql);
      await tx`insert into kinko_migrations (version, name, checksum)
               values (${file.version}, ${file.name}, ${file.checksum})`;
      applied.push(`${String(file.version).padStart(4, '0')}_${file.name}`);
    }
    if (options.servingRole) await grantServingRole(tx, options.servingRole);
  });
  return { applied, current: files.length };
}

/** True when every migration in the code has been applied. */
export async function migrationStatus(
  sql: Sql,
  dir = MIGRATIONS_DIR,
): Promise<{ pending: number }> {
  const files = readMigrations(dir);
  const exists = await sql`select to_regclass('kinko_migrations') as t`;
  if (!exists[0]?.['t']) return { pending: files.length };
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from kinko_migrations`;
  return { pending: files.length - (row?.n ?? 0) };
}
