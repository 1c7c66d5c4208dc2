import { createHash } from 'node:crypto';
import { publicId, secretToken } from '../lib/ids.ts';
import type { Authorization } from '../acquirer/index.ts';
import { reportDirective, reportText, reportUrl } from './csp-report.ts';
import * as store from './store.ts';
import {
  authorize,
  deleteCards,
  tokenize,
  type CardView,
  type Source,
  type VaultCoreDeps,
} from './vault.ts';
import { vaultError } from './errors.ts';

// Hosted card fields (ApparelX 2020): card data is typed into a page on Kinko's origin, inside
// an iframe on the merchant's page, and sent from there to Kinko only. A hosted session ties
// one page load to its merchant, to the one merchant origin that may frame it and receive the
// token, and to a per-session key only that page holds. The card is verified with the card
// network (amount 0, 3-D Secure included) before its token reaches the merchant.

/** What the hosted fields need to know of a merchant; the merchants module answers it. */
export interface MerchantDirectory {
  resolvePublishableKey(pk: string): Promise<PublishableKeyInfo | undefined>;
  resolveSecretKey(sk: string): Promise<SecretKeyInfo | undefined>;
}

interface PublishableKeyInfo {
  merchantId: string;
  /** Origins (scheme://host[:port]) whose pages may embed the hosted card fields. */
  allowedOrigins: string[];
}

interface SecretKeyInfo {
  merchantId: string;
  /** Explicitly flagged as allowed to send card data server-to-server (PCI DSS SAQ D). */
  cardDataCapable: boolean;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

const ORIGIN_RE = /^https?:\/\/[^/?#\s]+$/;

function isOrigin(text: string): boolean {
  if (!ORIGIN_RE.test(text)) return false;
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
}

interface HostedDeps extends VaultCoreDeps {
  merchants: MerchantDirectory;
  /** Kinko's origin as browsers see it; the only origin tokenize accepts card data from. */
  publicOrigin: string;
}

/** Zero-amount verifications are sent in yen, Kinko's home currency. */
const VERIFY_CURRENCY = 'JPY';

export interface HostedSession {
  id: string;
  /** The per-session key; given to the hosted page once, stored only as SHA-256. */
  key: string;
  merchantId: string;
  parentOrigin: string;
}

export async function openHostedSession(
  deps: HostedDeps,
  input: { publishableKey: string; parentOrigin: string },
): Promise<HostedSession> {
  const merchant = await deps.merchants.resolvePublishableKey(input.publishableKey);
  if (!merchant) throw vaultError('hosted_publishable_key_invalid', { param: 'pk' });
  if (!isOrigin(input.parentOrigin) || !merchant.allowedOrigins.includes(input.parentOrigin)) {
    throw vaultError('parent_origin_not_registered', { param: 'origin' });
  }
  const now = deps.clock.now();
  const session = {
    id: publicId('hs', 16),
    key: secretToken('hsk', 32),
    merchantId: merchant.merchantId,
    parentOrigin: input.parentOrigin,
  };
  await store.insertHostedSession(deps.sql, {
    id: session.id,
    merchant_id: session.merchantId,
    parent_origin: session.parentOrigin,
    key_sha256: sha256(session.key),
    created_at: now,
    expires_at: new Date(now.getTime() + deps.limits.vaultHostedSessionSecondsMax * 1000),
  });
  return session;
}

export type HostedOutcome =
  { status: 'succeeded'; card: CardView } | { status: 'requires_action'; challengeUrl: string };

export interface HostedCall {
  /** The request's Origin header. */
  origin: string | undefined;
  sessionKey: string | undefined;
  source?: Source;
}

function checkOrigin(deps: HostedDeps, origin: string | undefined): void {
  if (origin !== deps.publicOrigin) throw vaultError('hosted_origin_refused');
}

/** Locks the session, checks it is usable, and (when counting) counts one submission. */
async function useSession(
  deps: HostedDeps,
  call: HostedCall,
  count: boolean,
): Promise<store.HostedSessionRow> {
  checkOrigin(deps, call.origin);
  if (!call.sessionKey || !/^hsk_[A-Za-z0-9_-]{43}$/.test(call.sessionKey)) {
    throw vaultError('hosted_session_invalid');
  }
  const keyHash = sha256(call.sessionKey);
  return deps.sql.begin(async (tx) => {
    const s = await store.hostedSessionByKey(tx, keyHash);
    if (!s || s.expires_at.getTime() <= deps.clock.nowMs() || s.status === 'expired') {
      throw vaultError('hosted_session_invalid');
    }
    if (!count) return s;
    if (s.status !== 'open') throw vaultError('hosted_session_invalid');
    if (s.tokenize_attempts >= deps.limits.vaultHostedTokenizeAttemptsMax) {
      throw vaultError('hosted_session_exhausted');
    }
    const attempts = s.tokenize_attempts + 1;
    await store.updateHostedSession(tx, s.id, { tokenize_attempts: attempts });
    return { ...s, tokenize_attempts: attempts };
  });
}

export interface HostedCard {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export async function hostedTokenize(
  deps: HostedDeps,
  call: HostedCall,
  card: HostedCard,
): Promise<HostedOutcome> {
  const s = await useSession(deps, call, true);
  const actor = { type: 'merchant' as const, id: s.merchant_id };
  const view = await tokenize(deps, {
    ...card,
    merchantId: s.merchant_id,
    actor,
    source: call.source,
    shopperIp: call.source?.ip,
  });
  let authz: Authorization;
  try {
    authz = await authorize(deps, {
      token: view.token,
      cvc: card.cvc,
      amountMinor: 0n,
      currency: VERIFY_CURRENCY,
      attemptId: s.id,
      idempotencyKey: `${s.id}:verify:${s.tokenize_attempts}`,
      challenge: { notifyOrigin: deps.publicOrigin, frameOrigins: [s.parent_origin] },
      actor,
      source: call.source,
    });
  } catch (error) {
    await deleteCards(deps, { tokens: [view.token] }, actor, call.source);
    throw error;
  }
  return settle(deps, s, view, authz, call);
}

async function settle(
  deps: HostedDeps,
  s: store.HostedSessionRow,
  view: CardView,
  authz: Authorization,
  call: HostedCall,
): Promise<HostedOutcome> {
  const actor = { type: 'merchant' as const, id: s.merchant_id };
  if (authz.status === 'authorized') {
    await store.updateHostedSession(deps.sql, s.id, {
      status: 'succeeded',
      card_token: view.token,
      authorization_id: authz.id,
    });
    return { status: 'succeeded', card: view };
  }
  if (authz.status === 'requires_challenge' && authz.challenge) {
    await store.updateHostedSession(deps.sql, s.id, {
      status: 'requires_action',
      card_token: view.token,
      authorization_id: authz.id,
    });
    return { status: 'requires_action', challengeUrl: authz.challenge.url };
  }
  // Declined, failed, or a challenge that did not authenticate: the card is shredded and the
  // session is open for another card; the merchant never gets a token.
  await deleteCards(deps, { tokens: [view.token] }, actor, call.source);
  await store.updateHostedSession(deps.sql, s.id, {
    status: 'open',
    card_token: null,
    authorization_id: null,
  });
  if (authz.status === 'challenge_failed' || authz.status === 'challenge_expired') {
    throw vaultError('three_ds_failed');
  }
  throw vaultError('card_declined', {
    extra: { decline_code: authz.declineCode ?? 'card_declined' },
  });
}

/** After a challenge: the hosted page asks how it ended. */
export async function hostedComplete(deps: HostedDeps, call: HostedCall): Promise<HostedOutcome> {
  const s = await useSession(deps, call, false);
  if (s.status === 'open' || !s.card_token || !s.authorization_id)
    throw vaultError('hosted_session_invalid');
  const view = await cardOf(deps, s.card_token);
  if (s.status === 'succeeded') return { status: 'succeeded', card: view };
  let authz = await deps.acquirer.getAuthorization(s.authorization_id);
  if (
    authz.status === 'requires_challenge' &&
    authz.challenge &&
    authz.challenge.expiresAt.getTime() <= deps.clock.nowMs()
  ) {
    await deps.acquirer.expireChallenges();
    authz = await deps.acquirer.getAuthorization(s.authorization_id);
  }
  if (authz.status === 'requires_challenge') throw vaultError('three_ds_pending');
  return settle(deps, s, view, authz, call);
}

async function cardOf(deps: HostedDeps, token: string): Promise<CardView> {
  const row = await store.cardByToken(deps.sql, token);
  if (!row) throw vaultError('card_not_found');
  return {
    token: row.token,
    brand: row.brand,
    bin: row.bin,
    last4: row.last4,
    merchantId: row.merchant_id,
    customerId: row.customer_id,
    createdAt: row.created_at,
    deleted: row.deleted_at !== null,
  };
}

/**
 * Server-to-server card data with a secret key: only for merchants explicitly flagged as
 * card-data-capable; every other merchant must use the hosted fields.
 */
export async function secretKeyTokenize(
  deps: HostedDeps,
  input: {
    secretKey: string | undefined;
    card: Omit<HostedCard, 'cvc'> & { cvc?: string };
    source?: Source;
  },
): Promise<CardView> {
  const merchant = input.secretKey
    ? await deps.merchants.resolveSecretKey(input.secretKey)
    : undefined;
  if (!merchant) throw vaultError('vault_secret_key_invalid');
  if (!merchant.cardDataCapable) throw vaultError('card_data_not_permitted');
  return tokenize(deps, {
    ...input.card,
    merchantId: merchant.merchantId,
    actor: { type: 'merchant', id: merchant.merchantId },
    source: input.source,
  });
}

export interface CspReportBody {
  'document-uri'?: string;
  'effective-directive'?: string;
  'violated-directive'?: string;
  'blocked-uri'?: string;
  disposition?: string;
  'source-file'?: string;
  'line-number'?: number;
  'script-sample'?: string;
}

/**
 * Stores a violation report, keeping no digits that could be card data from any field
 * (csp-report.ts says what is kept and why).
 */
export async function storeCspReport(
  deps: Pick<HostedDeps, 'sql' | 'clock' | 'log'>,
  r: CspReportBody,
): Promise<void> {
  const row: store.CspReportRow = {
    received_at: deps.clock.now(),
    document_path: reportUrl(r['document-uri'], 300),
    effective_directive: reportDirective(r['effective-directive'] ?? r['violated-directive']),
    blocked_uri: reportUrl(r['blocked-uri'], 300),
    disposition: r.disposition === 'report' ? 'report' : 'enforce',
    source_file: r['source-file'] ? reportUrl(r['source-file'], 300) : null,
    line_number: typeof r['line-number'] === 'number' ? r['line-number'] : null,
    sample: r['script-sample'] ? reportText(r['script-sample'], 100) : null,
  };
  await store.insertCspReport(deps.sql, row);
  deps.log.warn(
    {
      csp: {
        document: row.document_path,
        directive: row.effective_directive,
        blocked: row.blocked_uri,
      },
    },
    'content security policy violation on a payment page',
  );
}
