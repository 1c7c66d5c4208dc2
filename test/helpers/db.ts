import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import {
  connect,
  EMBEDDED_OWNER_ROLE,
  EMBEDDED_SERVING_ROLE,
  embeddedRoleUrl,
  grantServingRole,
  migrate,
  type Sql,
} from '../../src/db/index.ts';

// Each test file gets a fresh database on the run's one embedded server (test/run.ts
// starts it and passes its superuser's address in KINKO_TEST_ADMIN_URL), owned by the
// schema-owner role and migrated by it, and served to the test as the least-privilege
// serving role, exactly as production runs: a test passes only with the rights the server
// really has.

export interface TestDb {
  /** The serving role (kinko_app): what the code under test runs as. */
  sql: Sql;
  url: string;
  /** The schema owner (kinko_owner): migrations, and tests that play an attacker with DDL. */
  owner: Sql;
  ownerUrl: string;
  servingRole: string;
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
    await admin.unsafe(`create database "${name}" owner ${EMBEDDED_OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  const url = embeddedRoleUrl(adminUrl(), EMBEDDED_SERVING_ROLE, name);
  const ownerUrl = embeddedRoleUrl(adminUrl(), EMBEDDED_OWNER_ROLE, name);
  const owner = connect(ownerUrl, { connectionsMax: 2, statementTimeoutMs: 0 });
  const sql = connect(url, { connectionsMax: 8 });
  // Default privileges are set even when the schema is left empty, so tables a test
  // creates as the owner are the serving role's to use, as a later migration's would be.
  if (options.migrate === false) {
    await owner.begin((tx) => grantServingRole(tx, EMBEDDED_SERVING_ROLE));
  } else {
    await migrate(owner, { servingRole: EMBEDDED_SERVING_ROLE });
  }
  return {
    sql,
    url,
    owner,
    ownerUrl,
    servingRole: EMBEDDED_SERVING_ROLE,
    name,
    close: async () => {
      await sql.end({ timeout: 5 });
      await owner.end({ timeout: 5 });
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
