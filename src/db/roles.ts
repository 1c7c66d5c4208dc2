import { createHmac } from 'node:crypto';
import postgres from 'postgres';
import type { Db, Tx } from './sql.ts';

// Who may do what in Kinko's database. Migrations run as the schema's owner; the server runs
// as a serving role that may read and write rows and nothing more: no superuser, no
// replication, no DDL, no TRUNCATE, and no UPDATE or DELETE on append-only tables (the audit
// chain, its checkpoints, incident timelines). Only a superuser may set
// session_replication_role and only a table's owner may disable its triggers, so the
// server's own credentials can no longer switch off the triggers that keep history
// append-only.
//
// A table is append-only when it carries a trigger whose name ends in `_append_only`; the
// grant step after every migration finds them in the catalogue, so tables added by later
// migrations are covered without a list to keep.

/** The embedded cluster's roles (DATABASE_URL deployments name their own). */
export const EMBEDDED_OWNER_ROLE = 'kinko_owner';
export const EMBEDDED_SERVING_ROLE = 'kinko_app';

/** Double-quotes an SQL identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The embedded roles' passwords, derived from the superuser's (pg.secret): nothing more to
 * store, and a command sharing a running server computes the same.
 */
function embeddedRolePassword(superuserPassword: string, role: string): string {
  return createHmac('sha256', superuserPassword).update(`kinko role ${role}`).digest('base64url');
}

/** The URL of an embedded role on a database, from the superuser's URL. */
export function embeddedRoleUrl(superuserUrl: string, role: string, database: string): string {
  const url = new URL(superuserUrl);
  const password = embeddedRolePassword(decodeURIComponent(url.password), role);
  url.username = role;
  url.password = encodeURIComponent(password);
  url.pathname = `/${database}`;
  return url.toString();
}

const ROLE_ATTRIBUTES = 'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls';

/**
 * Creates (or corrects) the embedded owner and serving roles and gives the database and
 * every object the superuser created in it (clusters made before the split) to the owner.
 * superuserUrl points at the `postgres` maintenance database.
 */
export async function ensureEmbeddedRoles(superuserUrl: string, database: string): Promise<void> {
  const admin = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  const superuserPassword = decodeURIComponent(new URL(superuserUrl).password);
  try {
    for (const role of [EMBEDDED_OWNER_ROLE, EMBEDDED_SERVING_ROLE]) {
      const [exists] = await admin`select 1 from pg_roles where rolname = ${role}`;
      if (!exists) await admin.unsafe(`create role ${ident(role)}`);
      const password = embeddedRolePassword(superuserPassword, role);
      await admin.unsafe(`alter role ${ident(role)} ${ROLE_ATTRIBUTES} password '${password}'`);
    }
    const [db] = await admin`select 1 from pg_database where datname = ${database}`;
    if (!db) await admin.unsafe(`create database ${ident(database)} owner ${EMBEDDED_OWNER_ROLE}`);
    else await admin.unsafe(`alter database ${ident(database)} owner to ${EMBEDDED_OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(superuserUrl);
  url.pathname = `/${database}`;
  const inDb = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await inDb.unsafe(GIVE_TO_OWNER.replaceAll('$OWNER', EMBEDDED_OWNER_ROLE));
  } finally {
    await inDb.end();
  }
}

/**
 * Hands every table, view, free-standing sequence and function in schema public that the
 * connected (super)user owns to $OWNER. Sequences of identity and serial columns follow
 * their table. REASSIGN OWNED cannot be used: the bootstrap superuser owns the catalogue.
 */
const GIVE_TO_OWNER = `
do $$
declare r record;
begin
  for r in
    select c.oid::regclass as name, c.relkind from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public'
      and c.relowner = (select oid from pg_roles where rolname = current_user)
      and (c.relkind in ('r', 'p', 'v', 'm', 'f')
           or (c.relkind = 'S' and not exists (
             select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i'))))
  loop
    execute format('alter %s %s owner to $OWNER',
      case r.relkind when 'v' then 'view' when 'm' then 'materialized view'
        when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end, r.name);
  end loop;
  for r in
    select p.oid::regprocedure as name from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and p.proowner = (select oid from pg_roles where rolname = current_user)
  loop
    execute format('alter function %s owner to $OWNER', r.name);
  end loop;
end $$`;

/**
 * Grants the serving role what it needs on every table now in schema public and, through
 * default privileges, on tables the owner creates later; then takes back what it must never
 * have. Run by the owner after migrations, in their transaction.
 */
export async function grantServingRole(tx: Tx, role: string): Promise<void> {
  const r = ident(role);
  await tx.unsafe(`
    grant usage on schema public to ${r};
    grant select, insert, update, delete on all tables in schema public to ${r};
    grant usage, select on all sequences in schema public to ${r};
    revoke truncate, references, trigger on all tables in schema public from ${r};
    alter default privileges in schema public
      grant select, insert, update, delete on tables to ${r};
    alter default privileges in schema public grant usage, select on sequences to ${r};`);
  const [migrations] = await tx`select to_regclass('kinko_migrations') as t`;
  if (migrations?.['t'])
    await tx.unsafe(`revoke insert, update, delete on kinko_migrations from ${r}`);
  const appendOnly = await appendOnlyTables(tx);
  for (const table of appendOnly) await tx.unsafe(`revoke update, delete on ${table} from ${r}`);
}

/** The role a pool connects as, and whether it is a superuser. */
export async function connectedRole(db: Db): Promise<{ role: string; superuser: boolean }> {
  const [me] = await db<{ role: string; superuser: boolean }[]>`
    select current_user as role, rolsuper as superuser from pg_roles
    where rolname = current_user`;
  return me ?? { role: '', superuser: false };
}

/** Tables with a trigger named `…_append_only` (schema public), as regclass text. */
export async function appendOnlyTables(db: Db): Promise<string[]> {
  const rows = await db<{ name: string }[]>`
    select distinct t.tgrelid::regclass::text as name from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and not t.tgisinternal and t.tgname like '%\\_append\\_only'
    order by 1`;
  return rows.map((row) => row.name);
}
