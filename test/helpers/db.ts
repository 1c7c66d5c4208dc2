import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connect, migrate, type Sql } from '../../src/db/index.ts';

// Each test file gets a fresh database on the run's one embedded server (test/run.ts
// starts it and passes its address in KINKO_TEST_ADMIN_URL), migrated to the current schema.

export interface TestDb {
  sql: Sql;
  url: string;
  name: string;
  close(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env['KINKO_TEST_ADMIN_URL'];
  if (!url) throw new Error('KINKO_TEST_ADMIN_URL is not set: run tests with `npm test`');
  return url;
}

export async function createTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const name = `t_${randomBytes(8).toString('hex')}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = adminUrl().replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const sql = connect(url, { connectionsMax: 8 });
  if (options.migrate !== false) await migrate(sql);
  return {
    sql,
    url,
    name,
    close: async () => {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
