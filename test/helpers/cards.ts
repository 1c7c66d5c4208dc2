import type { Acquirer } from '../../src/acquirer/index.ts';
import type { Limits } from '../../src/config.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import type { KeyProvider, Vault } from '../../src/vault/index.ts';
import type { TestDb } from './db.ts';
import { testPlatform, type TestPlatform } from './platform.ts';

// The card path as production builds it (the one platform of ./platform.ts), with the
// simulator as card network and a merchant whose pages may embed the hosted card fields.
// Tests replace the clock, the card network and limits, nothing else.

export const MERCHANT_ORIGIN = 'http://127.0.0.1:4455';

export interface CardPlatform extends TestPlatform {
  keyFile: string;
  keyProvider: KeyProvider;
  acquirer: Acquirer;
  vault: Vault;
  publicOrigin: string;
  merchant: { id: string; publishableKey: string; secretKey: string };
}

export interface PlatformOptions {
  publicOrigin?: string;
  merchantOrigin?: string;
  limits?: Partial<Limits>;
  clock?: ManualClock;
}

export async function cardPlatform(options: PlatformOptions = {}): Promise<CardPlatform> {
  const p = await testPlatform({
    publicOrigin: options.publicOrigin ?? 'http://localhost:4454',
    clock: options.clock ?? manualClock(Date.UTC(2026, 0, 15, 9, 30, 0)),
    limits: { acquirerCallTimeoutMs: 200, ...options.limits },
    // Every line, down to trace: the leak tests search them all.
    logLevel: 'trace',
  });
  try {
    const m = await p.modules.merchants.createMerchant(
      { name: 'Card Shop', allowedOrigins: [options.merchantOrigin ?? MERCHANT_ORIGIN] },
      { type: 'cli' },
    );
    const { card } = p.modules;
    return {
      ...p,
      keyFile: p.config.vaultKeyFile,
      keyProvider: card.keyProvider,
      acquirer: card.acquirer,
      vault: card.vault,
      publicOrigin: p.config.publicOrigin,
      merchant: { id: m.merchantId, publishableKey: m.publishableKey, secretKey: m.secretKey },
    };
  } catch (error) {
    await p.close();
    throw error;
  }
}

/** Every row of every table in the schema, as text: a pg_dump of the data, for searching. */
export async function dumpDatabase(db: TestDb): Promise<string> {
  const tables = await db.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`;
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.sql<{ t: string }[]>`select t::text as t from ${db.sql(table_name)} t`;
    parts.push(`-- ${table_name}\n${rows.map((r) => r.t).join('\n')}`);
  }
  return parts.join('\n');
}

/** Headers a request from the hosted fields page carries. */
export function hostedHeaders(p: CardPlatform, sessionKey: string): Record<string, string> {
  return { origin: p.publicOrigin, 'x-kinko-session-key': sessionKey };
}

/** Loads the hosted fields page as the merchant's iframe would and returns its session key. */
export async function openHostedPage(
  p: CardPlatform,
  parentOrigin = MERCHANT_ORIGIN,
): Promise<{ key: string; html: string; csp: string }> {
  const res = await p.app.inject({
    method: 'GET',
    url: `/hosted/fields?pk=${p.merchant.publishableKey}&origin=${encodeURIComponent(parentOrigin)}`,
  });
  if (res.statusCode !== 200) throw new Error(`hosted page: ${res.statusCode} ${res.body}`);
  const m = /"sessionKey":"(hsk_[A-Za-z0-9_-]+)"/.exec(res.body);
  if (!m) throw new Error('no session key on the hosted page');
  return { key: m[1]!, html: res.body, csp: String(res.headers['content-security-policy']) };
}
