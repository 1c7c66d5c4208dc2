import type { AuditEntryInput } from '../audit/index.ts';
import type { MerchantsLimits } from '../config.ts';
import type { Db, Fragment, Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { SignInKit } from '../identity/index.ts';
import { publicId } from '../lib/ids.ts';
import {
  ALL_SCOPES,
  isScope,
  issueKey,
  issueTerminalSecret,
  type KeyKind,
  type KeyMode,
} from './keys.ts';
import { checkOrigins } from './origins.ts';
import * as store from './store.ts';
import { merchantsError } from './errors.ts';
import type { Source } from '../http/index.ts';

// Merchants, stores, terminals, API keys and allowed origins: creation and management. Each
// change writes its audit entry in the same transaction. Secrets appear in a return value
// exactly once, at creation (or roll); afterwards only their display prefix exists.

interface AuditPort {
  append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void>;
  /** An append as a statement (audit.appendStatement): for an entry that is not hooked. */
  appendStatement(db: Db, entries: readonly AuditEntryInput[]): Fragment;
  /** Whether an entry must go through append (a security event the SIEM export sends). */
  hooked(entries: readonly AuditEntryInput[]): boolean;
}

interface OutboxPort {
  enqueue(
    tx: Tx,
    events: readonly { topic: string; key?: string; payload: object }[],
  ): Promise<unknown>;
}

export interface MerchantsDeps {
  sql: Sql;
  clock: Clock;
  audit: AuditPort;
  limits: { merchants: MerchantsLimits };
  /** Decides whether http:// origins are acceptable (development and test only). */
  env?: 'development' | 'production' | 'test' | undefined;
  /** Identity's sign-in mechanisms, which merchant people sign in with (team/). */
  kit: SignInKit;
  /** Invitation emails leave through the outbox, in the transaction that invites. */
  outbox: OutboxPort;
  /** The origin browsers use: invitation links point at its /dashboard. */
  publicOrigin: string;
}

export type Actor = AuditEntryInput['actor'];
/** Where a request came from (http/source.ts). */
export type { Source };

export interface StoreInput {
  name: string;
  mcc: string;
  city: string;
  postalCode: string;
}

export interface StoreView {
  id: string;
  merchant_id: string;
  name: string;
  mcc: string;
  city: string;
  postal_code: string;
  created_at: string;
}

export interface TerminalView {
  id: string;
  merchant_id: string;
  store_id: string;
  name: string;
  secret_prefix: string;
  status: store.TerminalRow['status'];
  /** live, or test: a test terminal signs in but its wallet payments are refused. */
  mode: KeyMode;
  last_used_at: string | null;
  created_at: string;
}

export interface ApiKeyView {
  id: string;
  kind: KeyKind;
  mode: KeyMode;
  name: string | null;
  display_prefix: string;
  /** Publishable keys are public and shown in full; secret keys never after creation. */
  publishable_key: string | null;
  scopes: string[];
  status: 'active' | 'expiring' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  replaced_by: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function storeView(r: store.StoreRow): StoreView {
  return {
    id: r.id,
    merchant_id: r.merchant_id,
    name: r.name,
    mcc: r.mcc,
    city: r.city,
    postal_code: r.postal_code,
    created_at: r.created_at.toISOString(),
  };
}

export function terminalView(r: store.TerminalRow): TerminalView {
  return {
    id: r.id,
    merchant_id: r.merchant_id,
    store_id: r.store_id,
    name: r.name,
    secret_prefix: r.secret_prefix,
    status: r.status,
    mode: r.mode,
    last_used_at: iso(r.last_used_at),
    created_at: r.created_at.toISOString(),
  };
}

function keyStatus(r: store.ApiKeyRow, now: Date): ApiKeyView['status'] {
  if (r.revoked_at) return 'revoked';
  if (r.expires_at) return r.expires_at <= now ? 'expired' : 'expiring';
  return 'active';
}

export function apiKeyView(r: store.ApiKeyRow, now: Date): ApiKeyView {
  return {
    id: r.id,
    kind: r.kind,
    mode: r.mode,
    name: r.name,
    display_prefix: r.display_prefix,
    publishable_key: r.publishable_key,
    scopes: r.scopes,
    status: keyStatus(r, now),
    created_at: r.created_at.toISOString(),
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
    last_used_at: iso(r.last_used_at),
    replaced_by: r.replaced_by,
  };
}

function entry(
  action: string,
  actor: Actor,
  subject: { type: string; id: string },
  source: Source | undefined,
  detail: Record<string, unknown>,
): AuditEntryInput {
  return { action, actor, subject, source, outcome: 'success', detail };
}

export async function merchantOrThrow(db: Sql | Tx, id: string): Promise<store.MerchantRow> {
  const m = await store.merchantById(db, id);
  if (!m) throw merchantsError('merchant_not_found');
  return m;
}

interface NewMerchant {
  name: string;
  cardDataCapable?: boolean | undefined;
  allowedOrigins?: readonly string[] | undefined;
  demo?: boolean | undefined;
}

/** Inserts a merchant in the caller's transaction and audits it. */
export async function insertMerchant(
  deps: MerchantsDeps,
  tx: Tx,
  input: NewMerchant,
  actor: Actor,
  source?: Source,
): Promise<store.MerchantRow> {
  const now = deps.clock.now();
  const origins = checkOrigins(input.allowedOrigins ?? [], deps);
  const row: store.MerchantRow = {
    id: publicId('mer', 16),
    name: input.name,
    status: 'active',
    card_data_capable: input.cardDataCapable ?? false,
    demo: input.demo ?? false,
    created_at: now,
  };
  await store.insertMerchant(tx, row);
  await store.replaceOrigins(tx, row.id, origins, now);
  await deps.audit.append(tx, [
    entry('merchants.merchant.created', actor, { type: 'merchant', id: row.id }, source, {
      name: row.name,
      card_data_capable: row.card_data_capable,
      allowed_origins: origins,
    }),
  ]);
  return row;
}

export async function insertStore(
  deps: MerchantsDeps,
  tx: Tx,
  merchantId: string,
  input: StoreInput,
  actor: Actor,
  source?: Source,
): Promise<StoreView> {
  await merchantOrThrow(tx, merchantId);
  const row: store.StoreRow = {
    id: publicId('sto', 16),
    merchant_id: merchantId,
    name: input.name,
    mcc: input.mcc,
    city: input.city,
    postal_code: input.postalCode,
    created_at: deps.clock.now(),
  };
  await store.insertStore(tx, row);
  await deps.audit.append(tx, [
    entry('merchants.store.created', actor, { type: 'store', id: row.id }, source, {
      merchant_id: merchantId,
      mcc: row.mcc,
    }),
  ]);
  return storeView(row);
}

export async function insertTerminal(
  deps: MerchantsDeps,
  tx: Tx,
  merchantId: string,
  input: { storeId: string; name: string; mode?: KeyMode | undefined },
  actor: Actor,
  source?: Source,
): Promise<{ terminal: TerminalView; secret: string }> {
  const st = await store.storeById(tx, input.storeId);
  if (!st || st.merchant_id !== merchantId) throw merchantsError('store_not_found');
  const secret = issueTerminalSecret();
  const row: store.TerminalRow = {
    id: publicId('term', 16),
    merchant_id: merchantId,
    store_id: st.id,
    name: input.name,
    secret_sha256: secret.sha256 as Buffer,
    secret_prefix: secret.displayPrefix,
    status: 'active',
    mode: input.mode ?? 'live',
    last_used_at: null,
    created_at: deps.clock.now(),
  };
  await store.insertTerminal(tx, row);
  await deps.audit.append(tx, [
    entry('merchants.terminal.created', actor, { type: 'terminal', id: row.id }, source, {
      merchant_id: merchantId,
      store_id: st.id,
      mode: row.mode,
    }),
  ]);
  return { terminal: terminalView(row), secret: secret.value };
}

/** Replaces a terminal's secret (the old one stops working at once) and returns the new. */
export async function resetTerminalSecret(
  deps: MerchantsDeps,
  tx: Tx,
  terminalId: string,
  actor: Actor,
  source?: Source,
): Promise<string> {
  const secret = issueTerminalSecret();
  await store.setTerminalSecret(tx, terminalId, secret.sha256 as Buffer, secret.displayPrefix);
  await deps.audit.append(tx, [
    entry('merchants.terminal.secret_reset', actor, { type: 'terminal', id: terminalId }, source, {
      secret_prefix: secret.displayPrefix,
    }),
  ]);
  return secret.value;
}

export interface NewApiKey {
  kind: KeyKind;
  mode: KeyMode;
  name?: string | undefined;
  /** Restricted keys only; secret keys hold every scope, publishable keys none. */
  scopes?: readonly string[] | undefined;
}

function scopesFor(input: NewApiKey): string[] {
  if (input.kind === 'secret') return [ALL_SCOPES];
  if (input.kind === 'publishable') return [];
  const scopes = [...new Set(input.scopes ?? [])];
  if (scopes.length === 0 || !scopes.every(isScope)) {
    throw merchantsError('api_key_scopes_invalid', { param: 'scopes' });
  }
  return scopes.sort();
}

export async function insertApiKey(
  deps: MerchantsDeps,
  tx: Tx,
  merchantId: string,
  input: NewApiKey,
  actor: Actor,
  source?: Source,
  expiresAt: Date | null = null,
): Promise<{ key: ApiKeyView; value: string }> {
  const now = deps.clock.now();
  const scopes = scopesFor(input);
  const used = await store.countUsableKeys(tx, merchantId, now);
  if (used >= deps.limits.merchants.apiKeysPerMerchantMax) {
    throw merchantsError('api_key_limit_reached');
  }
  const issued = issueKey(input.kind, input.mode);
  const row: store.ApiKeyRow = {
    id: publicId('key', 16),
    merchant_id: merchantId,
    kind: input.kind,
    mode: input.mode,
    name: input.name ?? null,
    display_prefix: issued.displayPrefix,
    secret_sha256: issued.sha256,
    publishable_key: input.kind === 'publishable' ? issued.value : null,
    scopes,
    created_at: now,
    expires_at: expiresAt,
    revoked_at: null,
    last_used_at: null,
    replaced_by: null,
  };
  await store.insertApiKey(tx, row);
  await deps.audit.append(tx, [
    entry('merchants.api_key.created', actor, { type: 'api_key', id: row.id }, source, {
      merchant_id: merchantId,
      kind: row.kind,
      mode: row.mode,
      scopes,
      display_prefix: row.display_prefix,
    }),
  ]);
  return { key: apiKeyView(row, now), value: issued.value };
}
