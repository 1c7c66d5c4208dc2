import { bearerOf, parseKey, sha256, terminalSecretMatches, type KeyMode } from './keys.ts';
import type { MerchantsDeps, Source } from './merchants.ts';
import * as store from './store.ts';
import { merchantsError } from './errors.ts';

// Who is calling: a secret or restricted API key (merchant servers), a terminal credential
// (registers), or a publishable key (the hosted card fields in a shopper's browser).

export interface MerchantPrincipal {
  merchantId: string;
  /** Who acts, for audit entries: the API key, or the dashboard's signed-in person. */
  actor: { type: 'api_key' | 'merchant_person'; id: string };
  /** `*` for a standard secret key; the granted scopes for a restricted key. */
  scopes: string[];
  mode: KeyMode;
  kind: 'secret' | 'restricted' | 'person';
  /**
   * The stores whose payments this caller may refund: a store manager's stores, or null for
   * every other caller (all of the merchant's).
   */
  storeIds: string[] | null;
}

export interface TerminalPrincipal {
  terminalId: string;
  storeId: string;
  merchantId: string;
  /** Fixed at the terminal's creation; a test terminal may not move wallet money. */
  mode: KeyMode;
}

export interface PublishableKeyInfo {
  merchantId: string;
  keyId: string;
  mode: KeyMode;
  allowedOrigins: string[];
  cardDataCapable: boolean;
}

const lastUsedBefore = (deps: MerchantsDeps, now: Date) =>
  new Date(now.getTime() - deps.limits.merchants.apiKeyLastUsedSecondsResolution * 1000);

/**
 * Resolves a bearer token (or an `Authorization` header value) to the merchant and scopes of
 * its key, or throws api_key_invalid / api_key_revoked / api_key_expired / merchant_suspended.
 */
export async function authenticateSecretKey(
  deps: MerchantsDeps,
  bearer: string | undefined,
): Promise<MerchantPrincipal> {
  const token = bearer?.startsWith('Bearer ') ? bearerOf(bearer) : bearer;
  const parsed = token ? parseKey(token) : undefined;
  if (!token || !parsed || parsed.kind === 'publishable') throw merchantsError('api_key_invalid');
  const now = deps.clock.now();
  // Use is recorded as a throttled last_used_at: at most one row write per key per window,
  // so thousands of requests a second do not turn into thousands of updates of one row. The
  // statement that reads the key writes it, when the checks below pass.
  const key = await store.apiKeyByHashTouched(
    deps.sql,
    sha256(token),
    now,
    lastUsedBefore(deps, now),
  );
  if (!key || key.kind === 'publishable') throw merchantsError('api_key_invalid');
  if (key.revoked_at) throw merchantsError('api_key_revoked');
  if (key.expires_at && key.expires_at <= now) throw merchantsError('api_key_expired');
  if (key.merchant_status !== 'active') throw merchantsError('merchant_suspended');
  return {
    merchantId: key.merchant_id,
    actor: { type: 'api_key', id: key.id },
    scopes: key.scopes,
    mode: key.mode,
    kind: key.kind,
    storeIds: null,
  };
}

/** The same answer as authenticateSecretKey, for the vault: undefined instead of errors. */
export async function resolveSecretKey(
  deps: MerchantsDeps,
  sk: string,
): Promise<{ merchantId: string; cardDataCapable: boolean } | undefined> {
  const parsed = parseKey(sk);
  if (!parsed || parsed.kind !== 'secret') return undefined;
  const key = await store.apiKeyByHash(deps.sql, sha256(sk));
  const now = deps.clock.now();
  if (!key || key.revoked_at || (key.expires_at && key.expires_at <= now)) return undefined;
  if (key.merchant_status !== 'active') return undefined;
  return { merchantId: key.merchant_id, cardDataCapable: key.card_data_capable };
}

// Compared against when the terminal id is unknown, so that the answer takes as long for an
// unknown terminal as for a wrong secret.
const DUMMY_HASH = sha256('tk_unknown-terminal');

export async function authenticateTerminal(
  deps: MerchantsDeps,
  terminalId: string,
  secret: string,
): Promise<TerminalPrincipal> {
  const t = /^term_[A-Za-z0-9_-]{16,64}$/.test(terminalId)
    ? await store.terminalById(deps.sql, terminalId)
    : undefined;
  const matches = terminalSecretMatches(secret, t?.secret_sha256 ?? DUMMY_HASH);
  if (!t || !matches || t.status !== 'active') {
    throw merchantsError('terminal_credentials_invalid');
  }
  if (t.merchant_status !== 'active') throw merchantsError('merchant_suspended');
  const now = deps.clock.now();
  await store.touchTerminal(deps.sql, t.id, now, lastUsedBefore(deps, now));
  return { terminalId: t.id, storeId: t.store_id, merchantId: t.merchant_id, mode: t.mode };
}

/** A publishable key's merchant and origins; undefined when unknown, revoked or expired. */
export async function resolvePublishableKey(
  deps: MerchantsDeps,
  pk: string,
): Promise<PublishableKeyInfo | undefined> {
  const parsed = parseKey(pk);
  if (!parsed || parsed.kind !== 'publishable') return undefined;
  const key = await store.apiKeyByPublishable(deps.sql, pk);
  const now = deps.clock.now();
  if (!key || key.revoked_at || (key.expires_at && key.expires_at <= now)) return undefined;
  if (key.merchant_status !== 'active') return undefined;
  return {
    merchantId: key.merchant_id,
    keyId: key.id,
    mode: key.mode,
    allowedOrigins: await store.listOrigins(deps.sql, key.merchant_id),
    cardDataCapable: key.card_data_capable,
  };
}

/**
 * Records one write request made with an API key. Reads are not audited one by one: at
 * thousands of requests a second an entry each would flood the chain and serialise every
 * reader on the audit head, while last_used_at already answers "is this key in use". Writes
 * are audited because they change money or configuration, and incident scope (which key
 * did what, when) must be computable from the audit log alone.
 */
export async function recordWriteUse(
  deps: MerchantsDeps,
  principal: MerchantPrincipal,
  request: { method: string; path: string; source: Source },
  outcome: 'success' | 'denied' = 'success',
): Promise<void> {
  const entries = [
    {
      action: 'merchants.api_key.used',
      actor: principal.actor,
      subject: { type: 'merchant', id: principal.merchantId },
      source: request.source,
      outcome,
      detail: { method: request.method, path: request.path, mode: principal.mode },
    },
  ];
  // A routine entry is one statement, its own transaction: one round trip where BEGIN, the
  // INSERT and COMMIT took three. A security event (a refused key) goes through append,
  // whose hook (the SIEM export) writes in the same transaction.
  if (!deps.audit.hooked(entries)) {
    await store.sendAlone(deps.sql, deps.audit.appendStatement(deps.sql, entries));
    return;
  }
  await deps.sql.begin((tx) => deps.audit.append(tx, entries));
}
