import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendOnlyTables, connect, migrate, MIGRATIONS_DIR } from '../src/db/index.ts';
import { createTestDb, type TestDb } from './helpers/db.ts';

// The attack: someone holding the server's own database credentials (read from its
// environment, or through an injection) rewrites audit history. As a superuser they could
// `set session_replication_role = replica` (triggers off) or disable the append-only
// trigger, then UPDATE or DELETE entries. The server now runs as a role that owns nothing
// and may only read and write rows: every one of those steps is refused, on every
// append-only table, including ones a later migration adds.
//
// The test database is served exactly as production is (test/helpers/db.ts): migrated by the
// owner role, used through the serving role.

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(() => db.close());

const DENIED = /permission denied|must be owner|must be superuser/;

async function refused(what: string, run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(run, (e: Error) => DENIED.test(e.message), `${what} was not refused`);
}

test('the serving role has no superuser, replication, role or database rights', async () => {
  const [me] = await db.sql<
    {
      rolsuper: boolean;
      rolreplication: boolean;
      rolcreaterole: boolean;
      rolcreatedb: boolean;
      rolbypassrls: boolean;
      owns: number;
    }[]
  >`
    select rolsuper, rolreplication, rolcreaterole, rolcreatedb, rolbypassrls,
      (select count(*)::int from pg_class where relowner = r.oid) as owns
    from pg_roles r where rolname = current_user`;
  assert.deepEqual(me, {
    rolsuper: false,
    rolreplication: false,
    rolcreaterole: false,
    rolcreatedb: false,
    rolbypassrls: false,
    owns: 0,
  });
});

test('audit history cannot be altered with the server’s credentials', async () => {
  const sql = db.sql;
  const tables = await appendOnlyTables(sql);
  for (const t of ['audit_entries', 'audit_checkpoints']) assert.ok(tables.includes(t), t);
  for (const table of tables) {
    const [column] = await sql<{ name: string }[]>`
      select attname as name from pg_attribute
      where attrelid = ${table}::regclass and attnum > 0 and not attisdropped
        and attidentity = '' and attgenerated = ''
      order by attnum limit 1`;
    const c = column!.name;
    await refused(`UPDATE ${table}`, () => sql.unsafe(`update ${table} set ${c} = ${c}`));
    await refused(`DELETE ${table}`, () => sql.unsafe(`delete from ${table}`));
    await refused(`TRUNCATE ${table}`, () => sql.unsafe(`truncate ${table}`));
    await refused(`DISABLE TRIGGER on ${table}`, () =>
      sql.unsafe(`alter table ${table} disable trigger all`),
    );
  }
  await refused('session_replication_role', () => sql`set session_replication_role = replica`);
  await refused('session_replication_role (local)', () =>
    sql.begin((tx) => tx`set local session_replication_role = replica`),
  );
  await refused('DROP TABLE', () => sql`drop table audit_entries`);
  await refused('CREATE TABLE', () => sql`create table planted (x int)`);
  await refused(
    'CREATE FUNCTION',
    () => sql`create function planted() returns int language sql as 'select 1'`,
  );
  await refused('CREATE ROLE', () => sql`create role planted`);
  await refused('ALTER ROLE', () => sql`alter role current_user superuser`);
  await refused(
    'recording a migration',
    () => sql`insert into kinko_migrations (version, name, checksum) values (9999, 'x', 'x')`,
  );
  // What the server needs still works: appending, and moving the chain head.
  const [rights] = await sql<{ append: boolean; head: boolean }[]>`
    select has_table_privilege('audit_entries', 'INSERT') as append,
      has_table_privilege('audit_head', 'UPDATE') as head`;
  assert.deepEqual(rights, { append: true, head: true });
});

test('tables added by a later migration are covered by the same rules', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-migrations-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of fs.readdirSync(MIGRATIONS_DIR)) {
    fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  }
  const next = String(fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).length + 1);
  fs.writeFileSync(
    path.join(dir, `${next.padStart(4, '0')}_later_tables.sql`),
    `create table later_notes (id int primary key, body text);
     create table later_history (id int primary key, what text);
     create function later_history_append_only() returns trigger language plpgsql as $$
     begin raise exception 'later_history is append-only'; end $$;
     create trigger later_history_append_only before update or delete or truncate
       on later_history for each statement execute function later_history_append_only();`,
  );
  const owner = connect(db.ownerUrl, { connectionsMax: 1 });
  t.after(() => owner.end());
  await migrate(owner, { dir, servingRole: db.servingRole });
  const sql = db.sql;
  await sql`insert into later_notes values (1, 'a')`;
  await sql`update later_notes set body = 'b'`;
  await sql`delete from later_notes`;
  await sql`insert into later_history values (1, 'happened')`;
  await refused('UPDATE later_history', () => sql`update later_history set what = 'not'`);
  await refused('DELETE later_history', () => sql`delete from later_history`);
  await refused('TRUNCATE later_history', () => sql`truncate later_history`);
  await refused(
    'DISABLE TRIGGER later_history',
    () => sql`alter table later_history disable trigger all`,
  );
});

test('an entry planted with its chain fields already set is refused', async () => {
  // With the server's credentials an attacker may insert rows (every append does), but only
  // unchained: a row carrying the seq the chainer is about to use would stall the chain.
  const [head] = await db.sql<{ seq: bigint }[]>`select seq from audit_head`;
  const seq = (head?.seq ?? 0n) + 1n;
  const hash = Buffer.alloc(32, 7);
  await assert.rejects(
    db.sql`
      insert into audit_entries (seq, at, actor_type, action, outcome, detail, prev_hash, hash)
      values (${seq.toString()}::int8, now(), 'system', 'planted', 'success', '{}',
              ${hash}, ${hash})`,
    /inserted unchained/,
  );
  await db.sql`
    insert into audit_entries (at, actor_type, action, outcome, detail)
    values (now(), 'system', 'test.unchained', 'success', '{}')`;
});
