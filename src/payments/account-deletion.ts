import { entry, WALLET_CURRENCY, type PaymentsDeps, type Source } from './context.ts';
import * as store from './store.ts';
import { walletBalance } from './wallet.ts';
import { paymentsError } from './errors.ts';
import { identityError } from '../identity/index.ts';

// Deleting a customer's account: a workflow across vault, identity and the ledger, so it
// lives here. Refused while the wallet holds money or a top-up is unfinished. Then:
// 1. the vault crypto-shreds every card of the customer (its own transaction; there is no
//    compensation and none is needed: a retry after a failure below shreds nothing more and
//    the cards were to be destroyed anyway);
// 2. one transaction: identity marks the customer deleted (goodbye notice first, then the
//    erasure and revocations) and the audit entry of the workflow.
// The ledger is left untouched: its accounts and transfers keep referring to the id.

export async function deleteAccount(
  deps: PaymentsDeps,
  customerId: string,
  source: Source,
): Promise<{ deleted: true; cardsShredded: number }> {
  const balance = await walletBalance(deps, customerId);
  if (balance !== 0n) {
    throw paymentsError('wallet_balance_not_zero', {
      extra: { balance: balance.toString(), currency: WALLET_CURRENCY },
    });
  }
  if ((await store.unfinishedTopupCount(deps.sql, customerId)) > 0) {
    throw paymentsError('wallet_activity_processing');
  }
  const actor = { type: 'customer' as const, id: customerId };
  // The wallet's linked cards (tokenized in the hosted fields, so the vault may not know
  // whose they are) and any card the vault holds under the customer's id.
  const linked = (await store.cardsOf(deps.sql, customerId)).map((c) => c.card_token);
  const shredded = [
    ...(linked.length > 0 ? await deps.vault.deleteCards({ tokens: linked }, actor, source) : []),
    ...(await deps.vault.deleteCards({ customerId }, actor, source)),
  ];
  const result = await deps.sql.begin(async (tx) => {
    // Re-checked under the transaction: a top-up started meanwhile cannot charge a shredded
    // card, but it must not be left without a customer either.
    if ((await store.unfinishedTopupCount(tx, customerId)) > 0) return 'processing' as const;
    const r = await deps.identity.deleteCustomer(tx, customerId, source);
    if (r === 'already_deleted') return r;
    // A refund that committed while the customer's row was being locked shows now: the
    // deletion is undone rather than leave money in a wallet no one can reach.
    const left = await walletBalance(deps, customerId);
    if (left !== 0n) {
      throw paymentsError('wallet_balance_not_zero', {
        extra: { balance: left.toString(), currency: WALLET_CURRENCY },
      });
    }
    await store.removeCards(tx, customerId, deps.clock.now());
    await deps.audit.append(tx, [
      entry('payments.account.deleted', actor, { type: 'customer', id: customerId }, source, {
        cards_shredded: shredded.length,
        sessions_revoked: r.sessionsRevoked,
      }),
    ]);
    return 'deleted' as const;
  });
  if (result === 'processing') throw paymentsError('wallet_activity_processing');
  if (result === 'already_deleted') throw identityError('session_expired');
  return { deleted: true, cardsShredded: shredded.length };
}
