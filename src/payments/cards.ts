import { cardLinkRefusal } from '../risk/index.ts';
import { entry, WALLET_CURRENCY, type PaymentsDeps, type Source } from './context.ts';
import { accountFacts } from './wallet.ts';
import type { Customer } from './topups.ts';
import * as store from './store.ts';
import { paymentsError } from './errors.ts';

// Linking a card to the wallet: the card was typed into the vault's hosted fields (the
// wallet never sees its number) and verified there; here its token becomes the customer's.
// A token can belong to one wallet only, and never to a card the vault has deleted. The risk
// engine decides first (kind card_link: the card's number seen on other wallets, the device,
// the network, a recent security change); its decision is recorded with the token as subject.

interface LinkedCard {
  token: string;
  brand: string;
  last4: string;
  created_at: string;
}

const view = (c: store.CardRow): LinkedCard => ({
  token: c.card_token,
  brand: c.brand,
  last4: c.last4,
  created_at: c.created_at.toISOString(),
});

export async function linkCard(
  deps: PaymentsDeps,
  who: Customer,
  token: string,
  source: Source,
): Promise<LinkedCard> {
  const customerId = who.customerId;
  const card = await deps.vault.getCard(token).catch(() => undefined);
  if (!card || card.deleted) throw paymentsError('card_token_invalid', { param: 'card_token' });
  const linking = { operation: 'card_linking', customerId, source: source.ip, card } as const;
  deps.switches.refuse(linking);
  if (card.customerId !== null && card.customerId !== customerId) {
    throw paymentsError('card_already_linked');
  }
  const assessment = await decideLink(deps, who, token, source);
  const row: store.CardRow = {
    card_token: token,
    customer_id: customerId,
    brand: card.brand,
    last4: card.last4,
    created_at: deps.clock.now(),
  };
  return deps.sql.begin(async (tx) => {
    if (!(await store.insertCard(tx, row))) {
      const existing = await store.cardOf(tx, token);
      if (existing?.customer_id === customerId) return view(existing);
      throw paymentsError('card_already_linked');
    }
    await deps.risk.record(tx, [{ a: assessment, subjectId: token }]);
    await deps.audit.append(tx, [
      entry(
        'payments.card.linked',
        { type: 'customer', id: customerId },
        { type: 'card', id: token },
        source,
        { brand: card.brand, last4: card.last4 },
      ),
    ]);
    return view(row);
  });
}

/** The risk decision on linking: refused (and the refusal recorded), or the one to record. */
async function decideLink(deps: PaymentsDeps, who: Customer, token: string, source: Source) {
  const facts = await accountFacts(deps, who.customerId);
  const card = (await deps.vault.cardRiskFacts([token])).get(token);
  const assessment = await deps.risk.assess({
    kind: 'card_link',
    customerId: who.customerId,
    deviceId: who.deviceId ?? undefined,
    cardToken: token,
    cardFingerprint: card?.numberId,
    sourceIp: source.ip,
    amount: 0n,
    currency: WALLET_CURRENCY,
    account: facts,
    frozen: facts.frozen,
  });
  const fresh =
    who.strongAuthAtMs !== null &&
    deps.clock.nowMs() - who.strongAuthAtMs <= deps.limits.riskStepUpSecondsMax * 1000;
  const refusal = cardLinkRefusal(assessment, fresh);
  if (refusal) {
    await deps.risk.recordRefusal(assessment, token);
    throw refusal;
  }
  return assessment;
}

export async function listCards(deps: PaymentsDeps, customerId: string): Promise<LinkedCard[]> {
  return (await store.cardsOf(deps.sql, customerId)).map(view);
}
