import { limitsJson } from '../risk/index.ts';
import { accountIdFor } from './accounts.ts';
import { WALLET_CURRENCY, type PaymentsDeps } from './context.ts';
import { receiptLine } from './messages.ts';
import * as store from './store.ts';
import { paymentsError } from './errors.ts';

// The wallet: balance (from the ledger), limits (from risk), hold status (from identity),
// and the history of top-ups, payments and refunds with their receipts.

interface WalletView {
  currency: string;
  balance: string;
  limits: {
    tier: string;
    maximum: ReturnType<typeof limitsJson>;
    effective: ReturnType<typeof limitsJson>;
    used: { day: string; month: string };
  };
  hold: { held: boolean; frozen: boolean; until: string | null };
}

export async function walletBalance(deps: PaymentsDeps, customerId: string): Promise<bigint> {
  const id = accountIdFor('customer_wallet', customerId, WALLET_CURRENCY);
  const [a] = await deps.ledger.lookupAccounts([id]);
  return a ? a.creditsPosted - a.debitsPosted : 0n;
}

export async function accountFacts(deps: PaymentsDeps, customerId: string) {
  const [facts] = await deps.identity.customerFacts(deps.sql, [customerId]);
  if (!facts) throw paymentsError('wallet_unavailable');
  return facts;
}

export async function walletView(deps: PaymentsDeps, customerId: string): Promise<WalletView> {
  const facts = await accountFacts(deps, customerId);
  const [balance, limits, hold] = await Promise.all([
    walletBalance(deps, customerId),
    deps.risk.walletLimits(customerId, facts),
    deps.identity.moneyMovementHold(customerId),
  ]);
  return {
    currency: WALLET_CURRENCY,
    balance: balance.toString(),
    limits: {
      tier: limits.tier,
      maximum: limitsJson(limits.maximum),
      effective: limitsJson(limits.effective),
      used: { day: limits.usage.dayMinor.toString(), month: limits.usage.monthMinor.toString() },
    },
    hold: { held: hold.held, frozen: hold.frozen, until: hold.until?.toISOString() ?? null },
  };
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof at !== 'string' || typeof id !== 'string') throw new Error('shape');
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) throw new Error('date');
    return { at: date, id };
  } catch {
    throw paymentsError('history_cursor_invalid', { param: 'cursor' });
  }
}

export async function history(
  deps: PaymentsDeps,
  customerId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
) {
  const limit = Math.min(page.limit ?? 20, deps.limits.historyPageSizeMax);
  const before = page.cursor ? decodeCursor(page.cursor) : null;
  const rows = await store.historyPage(deps.sql, customerId, before, limit + 1);
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const names = await storeNames(deps, items);
  const nameOf = (storeId: string | null) => (storeId ? names.get(storeId) : undefined) ?? null;
  return {
    data: items.map((r) => ({
      type: r.kind,
      id: r.id,
      amount: r.amount_minor.toString(),
      currency: r.currency,
      status: r.status,
      merchant_id: r.merchant_id,
      store_id: r.store_id,
      store_name: nameOf(r.store_id),
      payment_id: r.payment_id,
      created_at: r.created_at.toISOString(),
      // The receipt: what the customer sees in the app and in the notice.
      receipt: {
        number: r.id,
        text: receiptLine(r.kind, r.amount_minor, nameOf(r.store_id)),
      },
    })),
    has_more: more,
    next_cursor: more && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

/**
 * The names of the stores these rows were paid at, by store id, one read per distinct store.
 * A store that cannot be read (removed since) is left out; its receipt falls back to no name.
 */
export async function storeNames(
  deps: PaymentsDeps,
  rows: readonly { merchant_id: string | null; store_id: string | null }[],
): Promise<Map<string, string>> {
  const wanted = new Map<string, string>();
  for (const r of rows) if (r.store_id && r.merchant_id) wanted.set(r.store_id, r.merchant_id);
  const names = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([storeId, merchantId]) => {
      const shop = await deps.merchants.getStore(merchantId, storeId).catch(() => undefined);
      if (shop) names.set(storeId, shop.name);
    }),
  );
  return names;
}
