import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import {
  connect,
  EMBEDDED_SERVING_ROLE,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/db/index.ts';
import type { Logger } from '../../src/lib/log.ts';
import { startPlatform, type Platform } from '../../src/main.ts';
import { freePort } from './free-port.ts';

// A platform on a PostgreSQL of its own, for the tests that stop, freeze or back up the
// database under a running server (the shared test server cannot be treated so), with one
// shop and one tokenised card to pay with.

function settingsOf(dataDir: string, keysDir: string) {
  return {
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: dataDir,
    KINKO_KEK_FILE: path.join(keysDir, 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keysDir, 'audit-signing.key'),
  };
}

export interface OwnDatabasePlatform {
  pg: EmbeddedPostgres;
  platform: Platform;
  /** The database's port: a restart on it is the same database to the pool. */
  port: number;
  /** The settings the platform was started with, for `kinko` commands run beside it. */
  env: ReturnType<typeof settingsOf>;
  secretKey: string;
  cardToken: string;
  stop(): Promise<void>;
}

export async function startOnOwnDatabase(o: {
  dataDir: string;
  keysDir: string;
  shop: string;
  log: Logger;
  statementTimeoutMs?: number;
}): Promise<OwnDatabasePlatform> {
  const port = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir: o.dataDir, port, log: o.log });
  const env = settingsOf(o.dataDir, o.keysDir);
  const sql = connect(pg.url, {
    connectionsMax: 4,
    ...(o.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: o.statementTimeoutMs }),
  });
  const owner = { url: pg.ownerUrl, servingRole: EMBEDDED_SERVING_ROLE };
  const db = { sql, description: o.shop, owner, close: () => sql.end({ timeout: 1 }) };
  let platform: Platform | undefined;
  try {
    platform = await startPlatform(loadConfig({ ...env, PORT: '0' }), o.log, { db });
    const { secretKey, cardToken } = await shopWithCard(platform, o.shop);
    const own: OwnDatabasePlatform = {
      pg,
      platform,
      port,
      env,
      secretKey,
      cardToken,
      async stop() {
        await platform?.stop();
        await db.close();
        await own.pg.stop();
      },
    };
    return own;
  } catch (error) {
    // A failed start must not leave a listening server, a pool or a database behind: they
    // would keep the test's process alive after its failure is reported, for good.
    await platform?.stop();
    await db.close();
    await pg.stop();
    throw error;
  }
}

async function shopWithCard(platform: Platform, name: string) {
  const shop = await platform.modules.merchants.createMerchant(
    { name, allowedOrigins: ['http://127.0.0.1:4455'] },
    { type: 'cli' },
  );
  const card = await platform.modules.card.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    merchantId: shop.merchantId,
    actor: { type: 'merchant', id: shop.merchantId },
  });
  return { secretKey: shop.secretKey, cardToken: card.token };
}
