import { once } from 'node:events';
import fs from 'node:fs';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Db, Sql, Tx } from './sql.ts';
import { copyIn } from './copy.ts';
import { migrate } from './migrate.ts';

// Kinko's own logical backup, because the embedded package ships no pg_dump and Debian's
// pg_dump 15 refuses a PostgreSQL 18 server. A backup is every table's rows, read in one
// REPEATABLE READ READ ONLY transaction (one snapshot: a consistent picture while the
// server keeps running), with COPY, in foreign-key order, plus the sequences and the schema
// version; gzip-compressed text. The schema itself is not in it: restore rebuilds it from
// the numbered migrations up to the backup's version, loads the rows, then applies any newer
// migrations. Keys are never in it: the header names the key files a restore needs.
//
// File layout (after gunzip), line by line:
//   KINKO-BACKUP 1
//   {header: JSON}
//   TABLE {"name", "columns"}     then the table's rows in COPY text format, then \.
//   …
//   SEQUENCES [{"name", "lastValue", "isCalled"}]
//   END {"rows": {table: count}}

const BACKUP_MAGIC = 'KINKO-BACKUP 1';

export interface KeyFileNote {
  /** What the key is for, for people. */
  use: string;
  path: string;
  /** SHA-256 of the file's bytes (first 16 hex digits): which file, never the key itself. */
  fingerprint: string | null;
}

interface BackupHeader {
  format: 'kinko-backup';
  kinkoVersion: string;
  takenAt: string;
  schemaVersion: number;
  migrations: { version: number; name: string; checksum: string }[];
  tables: string[];
  keysNeeded: KeyFileNote[];
}

interface BackupSummary {
  header: BackupHeader;
  rows: Record<string, number>;
}

interface Table {
  name: string;
  columns: string[];
}

/**
 * Tables of schema public but the migrations' own, parents before children. A foreign key
 * checked only at commit (initially deferred) does not order them: restore is one
 * transaction, so it holds at its end whatever the order (0045).
 */
async function tablesInOrder(db: Db): Promise<Table[]> {
  const tables = await db<{ name: string; columns: string[] }[]>`
    select c.relname as name,
      array(select a.attname::text from pg_attribute a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
              and a.attgenerated = '' order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
      and c.relname <> 'kinko_migrations'
    order by c.relname`;
  const edges = await db<{ child: string; parent: string }[]>`
    select c.relname as child, p.relname as parent from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    where k.contype = 'f' and n.nspname = 'public' and k.conrelid <> k.confrelid
      and not k.condeferred`;
  const ordered: Table[] = [];
  const placed = new Set<string>();
  const byName = new Map(tables.map((t) => [t.name, t]));
  const visit = (name: string, path: string[]) => {
    if (placed.has(name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle: ${path.join(' → ')}`);
    for (const e of edges) if (e.child === name) visit(e.parent, [...path, name]);
    placed.add(name);
    const table = byName.get(name);
    if (table) ordered.push(table);
  };
  for (const t of tables) visit(t.name, []);
  return ordered;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Writes a backup of db's database to file, from one snapshot. The file is written beside
 * its final name and renamed when complete, so a failed backup never looks like one.
 */
export async function backup(
  sql: Sql,
  file: string,
  meta: { kinkoVersion: string; keysNeeded: KeyFileNote[] },
): Promise<BackupSummary> {
  const partial = `${file}.partial`;
  const gzip = createGzip();
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const written = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
    gzip.once('error', reject);
  });
  gzip.pipe(out);
  try {
    const summary = await sql.begin('isolation level repeatable read read only', (tx) =>
      dumpSnapshot(tx, gzip, meta),
    );
    gzip.end();
    await written;
    fs.renameSync(partial, file);
    return summary;
  } catch (error) {
    gzip.destroy();
    out.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

async function dumpSnapshot(
  tx: Tx,
  out: Writable,
  meta: { kinkoVersion: string; keysNeeded: KeyFileNote[] },
): Promise<BackupSummary> {
  const migrations = await tx<{ version: number; name: string; checksum: string }[]>`
    select version, name, checksum from kinko_migrations order by version`;
  const tables = await tablesInOrder(tx);
  const header: BackupHeader = {
    format: 'kinko-backup',
    kinkoVersion: meta.kinkoVersion,
    takenAt: new Date().toISOString(),
    schemaVersion: migrations.length,
    migrations: [...migrations],
    tables: tables.map((t) => t.name),
    keysNeeded: meta.keysNeeded,
  };
  await write(out, `${BACKUP_MAGIC}\n${JSON.stringify(header)}\n`);
  const rows: Record<string, number> = {};
  for (const table of tables) {
    await write(out, `TABLE ${JSON.stringify(table)}\n`);
    const columns = table.columns.map(ident).join(', ');
    const stream = await tx.unsafe(`copy ${ident(table.name)} (${columns}) to stdout`).readable();
    let count = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const byte of chunk) if (byte === 10) count += 1;
      await write(out, chunk);
    }
    rows[table.name] = count;
    await write(out, '\\.\n');
  }
  const sequences = await tx<{ name: string; lastValue: string | null; isCalled: boolean }[]>`
    select sequencename as name, last_value::text as "lastValue",
      last_value is not null as "isCalled"
    from pg_sequences where schemaname = 'public' order by sequencename`;
  await write(out, `SEQUENCES ${JSON.stringify(sequences)}\n`);
  await write(out, `END ${JSON.stringify({ rows })}\n`);
  return { header, rows };
}

/** Lines of a backup file, gunzipped; COPY text rows never contain a raw newline or CR. */
function lines(file: string): AsyncIterator<string> {
  const input = fs.createReadStream(file).pipe(createGunzip());
  return readline.createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
}

async function nextLine(it: AsyncIterator<string>): Promise<string> {
  const r = await it.next();
  if (r.done) throw new Error('the backup file ends early (truncated?)');
  return r.value;
}

/** Reads a backup's header without loading it. */
export async function readBackupHeader(file: string): Promise<BackupHeader> {
  const it = lines(file);
  try {
    if ((await nextLine(it)) !== BACKUP_MAGIC) throw new Error(`${file} is not a Kinko backup`);
    return JSON.parse(await nextLine(it)) as BackupHeader;
  } finally {
    await it.return?.();
  }
}

/**
 * Restores a backup into an empty database: the schema from the migrations up to the
 * backup's version, the rows (user triggers off while they load, as the owner may), the
 * sequences, then any newer migrations; all in one transaction, so a failed restore leaves
 * the database empty. `owner` must own the schema (it disables and enables triggers).
 */
export async function restore(
  owner: Sql,
  file: string,
  options: { servingRole?: string | undefined } = {},
): Promise<BackupSummary> {
  const header = await readBackupHeader(file);
  await assertEmpty(owner);
  await migrate(owner, { servingRole: options.servingRole, upTo: header.schemaVersion });
  const applied = await owner<{ version: number; checksum: string }[]>`
    select version, checksum from kinko_migrations order by version`;
  if (applied.length < header.schemaVersion) {
    throw new Error(
      `the backup's schema (version ${header.schemaVersion}) is newer than this Kinko's ` +
        `(${applied.length}); restore it with a Kinko at least as new as ${header.kinkoVersion}`,
    );
  }
  for (const m of header.migrations) {
    if (applied[m.version - 1]?.checksum !== m.checksum) {
      throw new Error(`migration ${m.version}_${m.name} differs between the backup and this code`);
    }
  }
  const rows = await owner.begin((tx) => load(tx, file, header));
  await migrate(owner, { servingRole: options.servingRole });
  return { header, rows };
}

async function assertEmpty(sql: Sql): Promise<void> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> 'kinko_migrations'`;
  if ((row?.n ?? 0) > 0) {
    throw new Error('restore needs an empty database (no tables); this one has a schema');
  }
}

async function load(tx: Tx, file: string, header: BackupHeader): Promise<Record<string, number>> {
  const it = lines(file);
  await nextLine(it);
  await nextLine(it);
  const names = header.tables.map(ident).join(', ');
  // Seed rows the migrations wrote (the audit chain's head, for one) give way to the backup's.
  for (const t of header.tables) await tx.unsafe(`alter table ${ident(t)} disable trigger user`);
  if (names) await tx.unsafe(`truncate ${names}`);
  const rows: Record<string, number> = {};
  for (;;) {
    const line = await nextLine(it);
    if (line.startsWith('TABLE ')) {
      const table = JSON.parse(line.slice(6)) as Table;
      rows[table.name] = await loadTable(tx, table, it);
    } else if (line.startsWith('SEQUENCES ')) {
      await setSequences(tx, JSON.parse(line.slice(10)) as SequenceState[]);
    } else if (line.startsWith('END ')) {
      const trailer = JSON.parse(line.slice(4)) as { rows: Record<string, number> };
      for (const [t, n] of Object.entries(trailer.rows)) {
        if (rows[t] !== n) throw new Error(`table ${t}: ${rows[t]} rows loaded, backup has ${n}`);
      }
      break;
    } else {
      throw new Error(`unexpected line in backup: ${line.slice(0, 40)}`);
    }
  }
  // Foreign keys checked at commit are checked now, with every row in: a table with such
  // checks pending cannot be altered (its triggers enabled) in the same transaction.
  await tx.unsafe('set constraints all immediate');
  for (const t of header.tables) await tx.unsafe(`alter table ${ident(t)} enable trigger user`);
  await it.return?.();
  return rows;
}

async function loadTable(tx: Tx, table: Table, it: AsyncIterator<string>): Promise<number> {
  let count = 0;
  async function* chunks(): AsyncGenerator<string> {
    let buffer = '';
    for (;;) {
      const line = await nextLine(it);
      if (line === '\\.') break;
      count += 1;
      buffer += line + '\n';
      if (buffer.length >= 256 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  const columns = table.columns.map(ident).join(', ');
  await copyIn(tx.unsafe(`copy ${ident(table.name)} (${columns}) from stdin`), chunks());
  return count;
}

interface SequenceState {
  name: string;
  lastValue: string | null;
  isCalled: boolean;
}

async function setSequences(tx: Tx, sequences: SequenceState[]): Promise<void> {
  for (const s of sequences) {
    if (s.lastValue === null) continue;
    await tx`select setval(${ident(s.name)}::regclass, ${s.lastValue}::int8, ${s.isCalled})`;
  }
}
