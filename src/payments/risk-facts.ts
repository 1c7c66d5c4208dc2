import type { Db, Fragment } from '../db/index.ts';
import * as store from './store.ts';

// What payments tells the risk engine about a batch of attempts, in one statement each:
// which wallets hold which card tokens, and each customer's amount history (the largest and
// the median of their most recent payments, or top-ups, of the last 30 days).

interface AmountHistory {
  maxMinor: bigint;
  medianMinor: bigint;
}

interface PaymentsRiskFacts {
  /**
   * The customers whose wallets hold these card tokens (a token belongs to one wallet), and
   * those of the tokens `alsoTokens` (another module's statement) lists.
   */
  cardHolders(
    db: Db,
    tokens: readonly string[],
    alsoTokens?: Fragment,
  ): Promise<Map<string, string>>;
  /** The amount history of each customer, for payments or for top-ups. */
  amountHistory(
    db: Db,
    q: { kind: 'payment' | 'topup'; customerIds: readonly string[]; since: Date },
  ): Promise<Map<string, AmountHistory>>;
}

export const paymentsRiskFacts: PaymentsRiskFacts = {
  cardHolders: async (db, tokens, alsoTokens) => {
    if (tokens.length === 0) return new Map();
    const rows = await store.cardHolders(db, [...new Set(tokens)], alsoTokens);
    return new Map(rows.map((r) => [r.card_token, r.customer_id]));
  },
  amountHistory: async (db, q) => {
    if (q.customerIds.length === 0) return new Map();
    const rows = await store.amountHistory(db, q.kind, [...new Set(q.customerIds)], q.since);
    return new Map(
      rows.map((r) => [r.customer_id, { maxMinor: r.max_minor, medianMinor: r.median_minor }]),
    );
  },
};
