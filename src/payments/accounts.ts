import type { AccountInput } from '../ledger/index.ts';
import { uuidText } from '../lib/ids.ts';
import { sha256 } from '../lib/sha256.ts';

// Kinko's chart of accounts in the ledger. Account ids are derived from (kind, owner,
// currency) so every process finds the same account without a lookup table, and creating
// an account is an idempotent ledger call (a second create answers `exists`).
//
// Money flows (JPY unless a web payment says otherwise):
//   top-up           card_clearing  → customer_wallet   (after the card charge succeeds)
//   code payment     customer_wallet → merchant          (wallet cannot go below zero)
//   code refund      merchant        → customer_wallet
//   web payment      card_clearing  → merchant           (pending on authorize, posted on capture)
//   web refund       merchant        → card_clearing
// card_clearing stands for money owed by the card networks; it may go negative (debit
// balance) until settlement, so it has no balance limit.

export const ACCOUNT_CODES = {
  customer_wallet: 1,
  merchant: 2,
  card_clearing: 10,
} as const;

export type AccountKind = keyof typeof ACCOUNT_CODES;

const NAMESPACE = 'kinko:ledger-account:v1';

/** The ledger account id for (kind, owner, currency), as a UUID (version 8, RFC 9562). */
export function accountIdFor(kind: AccountKind, ownerId: string, currency: string): string {
  const bytes = sha256(`${NAMESPACE}|${kind}|${ownerId}|${currency}`);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

/** The account to create for (kind, owner, currency), with the flags its kind needs. */
export function accountInput(kind: AccountKind, ownerId: string, currency: string): AccountInput {
  return {
    id: accountIdFor(kind, ownerId, currency),
    currency,
    code: ACCOUNT_CODES[kind],
    // A wallet holds the customer's money: it can never pay out more than was paid in.
    flags: kind === 'customer_wallet' ? { debitsMustNotExceedCredits: true } : {},
    userData: `${kind}:${ownerId}`,
  };
}

/** The platform-wide clearing account for card money in a currency. */
export const CARD_CLEARING_OWNER = 'platform';
