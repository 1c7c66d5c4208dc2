import type { Acquirer, Authorization } from '../acquirer/index.ts';
import type { Audit, AuditEntryInput } from '../audit/index.ts';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { beginReading, type Db, type Sql, type Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { KinkoError } from '../lib/errors.ts';
import { secretToken } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { displayOf, validateCard, validateCvc, type Brand, type CardProblem } from './card.ts';
import {
  cardAad,
  decodeSecret,
  encodeSecret,
  fingerprint,
  newDataKey,
  open,
  seal,
  wrapAad,
  type CardSecret,
} from './crypto.ts';
import type { KeyProvider } from './keys.ts';
import * as store from './store.ts';
import { vaultError } from './errors.ts';
import type { Source } from '../http/index.ts';

// The vault proper: tokenize, decrypt only to call the card network, crypto-shred. A card
// number is in memory here only between the request and sealing, or between unsealing and
// the network call; a security code only between the request and the network call.

interface VaultLimits {
  vaultRewrapBatchSizeMax: number;
  vaultHostedSessionSecondsMax: number;
  vaultHostedTokenizeAttemptsMax: number;
  vaultScanFindingsPerColumnMax: number;
  vaultCardExportCardsMax: number;
  vaultCardExportDownloadsMax: number;
  vaultCardExportSecondsMax: number;
}

export interface VaultCoreDeps {
  sql: Sql;
  clock: Clock;
  audit: Pick<Audit, 'append'>;
  keyProvider: KeyProvider;
  acquirer: Acquirer;
  limits: VaultLimits;
  log: Logger;
}

export type Actor = AuditEntryInput['actor'];
/** Where a request came from (http/source.ts). */
export type { Source };

export interface CardView {
  token: string;
  brand: Brand;
  bin: string;
  last4: string;
  merchantId: string | null;
  customerId: string | null;
  createdAt: Date;
  deleted: boolean;
}

function cardView(r: store.CardRow): CardView {
  return {
    token: r.token,
    brand: r.brand,
    bin: r.bin,
    last4: r.last4,
    merchantId: r.merchant_id,
    customerId: r.customer_id,
    createdAt: r.created_at,
    deleted: r.deleted_at !== null,
  };
}

const PROBLEM_TEXT: Readonly<Record<string, string>> = {
  'number:format': 'The card number may contain only digits, spaces and dashes.',
  'number:length': 'The card number has the wrong number of digits for its brand.',
  'number:luhn': 'The card number is not valid (its check digit is wrong).',
  'exp_month:range': 'The expiry month must be 1 to 12.',
  'exp_year:range': 'The expiry year is not a plausible four-digit year.',
  'exp_year:expired': 'The card has expired.',
  'cvc:format': 'The security code must be 3 digits (4 for American Express).',
};

/** The named error for a card problem; the message names the field, never its value. */
function problemError(p: CardProblem): KinkoError {
  const message = PROBLEM_TEXT[`${p.field}:${p.reason}`];
  if (p.field === 'number') {
    if (p.reason === 'brand') return vaultError('card_brand_unsupported', { param: 'number' });
    return vaultError('card_number_invalid', { param: 'number', message });
  }
  if (p.field === 'cvc') return vaultError('card_cvc_invalid', { param: 'cvc', message });
  if (p.reason === 'expired') return vaultError('card_expired', { param: 'exp_year', message });
  return vaultError('card_expiry_invalid', { param: p.field, message });
}

export interface TokenizeInput {
  number: string;
  expMonth: number;
  expYear: number;
  /** Validated only; see vault.verify / vault.authorize for sending it to the network. */
  cvc?: string | undefined;
  /** The shopper's address, when the card was typed into the hosted card fields. */
  shopperIp?: string | undefined;
  merchantId?: string | undefined;
  customerId?: string | undefined;
  actor: Actor;
  source?: Source;
}

/** Validates (nothing is stored when anything is wrong) and stores the card sealed. */
export async function tokenize(deps: VaultCoreDeps, input: TokenizeInput): Promise<CardView> {
  const now = deps.clock.now();
  const card = validateCard(input, now);
  if ('field' in card) throw problemError(card);
  if (input.cvc !== undefined) {
    const bad = validateCvc(input.cvc, card.brand);
    if (bad) throw problemError(bad);
  }
  const token = secretToken('card', 18);
  const dataKey = newDataKey();
  const ciphertext = seal(dataKey, encodeSecret(card), cardAad(token));
  const { version, wrapped } = await deps.keyProvider.wrap(dataKey, (v) => wrapAad(token, v));
  dataKey.fill(0);
  const row: Omit<store.CardRow, 'deleted_at'> = {
    token,
    merchant_id: input.merchantId ?? null,
    customer_id: input.customerId ?? null,
    brand: card.brand,
    ...displayOf(card.pan),
    fingerprint: fingerprint(await deps.keyProvider.fingerprintKey(), card.pan),
    ciphertext,
    wrapped_key: wrapped,
    kek_version: version,
    shopper_ip: input.shopperIp && isIP(input.shopperIp) ? input.shopperIp : null,
    created_at: now,
  };
  await deps.sql.begin(async (tx) => {
    await store.insertCard(tx, row);
    const detail = {
      brand: row.brand,
      last4: row.last4,
      merchant_id: row.merchant_id,
      kek_version: version,
    };
    await deps.audit.append(tx, [
      {
        action: 'vault.card.tokenized',
        actor: input.actor,
        subject: { type: 'card', id: token },
        source: input.source,
        outcome: 'success',
        detail,
      },
    ]);
  });
  return cardView({ ...row, deleted_at: null });
}

type DecryptPurpose = 'authorize' | 'verify';

/**
 * Unseals a card for one card network call. The audit entry (with its purpose) commits before
 * the number leaves this function: no entry, no decryption.
 */
async function decryptForNetwork(
  deps: VaultCoreDeps,
  token: string,
  why: { purpose: DecryptPurpose; attemptId: string; actor: Actor; source?: Source },
): Promise<CardSecret & { brand: Brand }> {
  // The card's row, locked, goes out with BEGIN; the entry is written once it answered.
  const locked = (tx: Tx) => store.cardByToken(tx, token, true);
  return beginReading(deps.sql, locked, async (tx, row) => {
    if (!row) throw vaultError('card_not_found');
    if (row.deleted_at || !row.wrapped_key || !row.ciphertext || row.kek_version === null) {
      throw vaultError('card_deleted');
    }
    const dataKey = await deps.keyProvider.unwrap(
      row.kek_version,
      row.wrapped_key,
      wrapAad(token, row.kek_version),
    );
    const secret = decodeSecret(open(dataKey, row.ciphertext, cardAad(token)));
    dataKey.fill(0);
    await deps.audit.append(tx, [
      {
        action: 'vault.card.decrypted',
        actor: why.actor,
        subject: { type: 'card', id: token },
        source: why.source,
        outcome: 'success',
        detail: {
          purpose: why.purpose,
          attempt_id: why.attemptId,
          network: deps.acquirer.networkName,
        },
      },
    ]);
    return { ...secret, brand: row.brand };
  });
}

export interface AuthorizeInput {
  token: string;
  /** From the cardholder's request only; passed to the network in memory and dropped. */
  cvc?: string | undefined;
  amountMinor: bigint;
  currency: string;
  attemptId: string;
  idempotencyKey: string;
  /** `required`: ask the issuer for a 3-D Secure challenge (the risk engine's step_up). */
  challenge: { notifyOrigin: string; frameOrigins: readonly string[]; required?: boolean };
  actor: Actor;
  source?: Source;
}

/** Authorizes (amount 0: verifies) a stored card with the card network, 3-D Secure included. */
export async function authorize(
  deps: VaultCoreDeps,
  input: AuthorizeInput,
): Promise<Authorization> {
  const purpose: DecryptPurpose = input.amountMinor === 0n ? 'verify' : 'authorize';
  const card = await decryptForNetwork(deps, input.token, { purpose, ...input });
  if (input.cvc !== undefined) {
    const bad = validateCvc(input.cvc, card.brand);
    if (bad) throw problemError(bad);
  }
  return deps.acquirer.authorize({
    idempotencyKey: input.idempotencyKey,
    attemptId: input.attemptId,
    cardToken: input.token,
    card: { pan: card.pan, expMonth: card.expMonth, expYear: card.expYear, cvc: input.cvc },
    amountMinor: input.amountMinor,
    currency: input.currency,
    challenge: input.challenge,
  });
}

export async function getCard(
  deps: Pick<VaultCoreDeps, 'sql'>,
  token: string,
  db: Db = deps.sql,
): Promise<CardView> {
  const row = await store.cardByToken(db, token);
  if (!row) throw vaultError('card_not_found');
  return cardView(row);
}

/** Other live cards with the same number (the keyed fingerprint), across customers. */
export async function sameCardAs(
  deps: Pick<VaultCoreDeps, 'sql'>,
  token: string,
): Promise<CardView[]> {
  const row = await store.cardByToken(deps.sql, token);
  if (!row) throw vaultError('card_not_found');
  const rows = await store.cardsByFingerprint(deps.sql, row.fingerprint);
  return rows.filter((r) => r.token !== token).map(cardView);
}

/** Crypto-shredding: destroys the data keys (and ciphertext) of the cards named. */
export async function deleteCards(
  deps: VaultCoreDeps,
  which: { tokens: readonly string[] } | { customerId: string },
  actor: Actor,
  source?: Source,
): Promise<string[]> {
  return deps.sql.begin(async (tx) => {
    const tokens = await store.shredCards(tx, which, deps.clock.now());
    if (tokens.length === 0) return tokens;
    await deps.audit.append(
      tx,
      tokens.map((t) => ({
        action: 'vault.card.shredded',
        actor,
        subject: { type: 'card', id: t },
        source,
        outcome: 'success' as const,
        detail: { data_key: 'destroyed' },
      })),
    );
    return tokens;
  });
}

/** What the risk engine may know of a card; never its number or its vault fingerprint. */
export interface CardRiskFacts {
  /**
   * An id of the card's number for counting (velocity, "seen on other customers"): derived
   * from the keyed fingerprint by a second hash, so the vault's fingerprint stays inside it.
   */
  numberId: string;
  bin: string;
  /** The customer the vault stored the card for, if any. */
  customerId: string | null;
  /** Other live tokens of the same number. */
  sameNumberTokens: string[];
  /** The address of the shopper who typed it into the hosted card fields, if known. */
  shopperIp: string | null;
}

export async function cardRiskFacts(
  deps: Pick<VaultCoreDeps, 'sql'>,
  tokens: readonly string[],
  db: Db = deps.sql,
): Promise<Map<string, CardRiskFacts>> {
  if (tokens.length === 0) return new Map();
  const rows = await store.cardsWithSameNumber(db, [...new Set(tokens)]);
  return new Map(
    rows.map((r) => [
      r.token,
      {
        numberId: createHash('sha256')
          .update('kinko.risk.card:')
          .update(r.fingerprint)
          .digest('hex')
          .slice(0, 32),
        bin: r.bin,
        customerId: r.customer_id,
        sameNumberTokens: r.same,
        shopperIp: r.shopper_ip,
      },
    ]),
  );
}
