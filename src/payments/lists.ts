import type { PaymentsDeps } from './context.ts';
import * as store from './store.ts';
import { createdRange, pageOf, type CreatedQuery, type Page, httpError } from '../http/index.ts';

// Lists of wallet payments (code and store QR) and their refunds for the merchant API, paged
// exactly as web payments are: newest first, `limit`, `starting_after` / `ending_before` id
// cursors, `created[gte|gt|lte|lt]`, and `has_more`. Wallet payments move real money, so a
// test-mode key sees none of them (an empty list), as it sees no live web payments.

export interface WalletListQuery {
  limit: number;
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
  method?: string | undefined;
  storeId?: string | undefined;
  payment?: string | undefined;
  created?: CreatedQuery | undefined;
}

export interface WalletReader {
  merchantId: string;
  livemode: boolean;
}

export async function listWalletPage<R, V>(
  deps: Pick<PaymentsDeps, 'sql'>,
  who: WalletReader,
  table: store.WalletListable,
  q: WalletListQuery,
  view: (r: R) => V,
): Promise<Page<V>> {
  const cursor = async (id: string | undefined, param: string) => {
    if (id === undefined) return undefined;
    const seq = who.livemode
      ? await store.walletSeqOf(deps.sql, table, who.merchantId, id)
      : undefined;
    if (seq === undefined) throw httpError('pagination_cursor_not_found', { param });
    return seq;
  };
  const beforeSeq = await cursor(q.startingAfter, 'starting_after');
  const afterSeq = await cursor(q.endingBefore, 'ending_before');
  if (!who.livemode) return { object: 'list', data: [], has_more: false };
  const range = createdRange(q.created ?? {});
  const rows = await store.listWallet<R>(deps.sql, table, who.merchantId, {
    limit: q.limit,
    beforeSeq,
    afterSeq,
    method: q.method,
    storeId: q.storeId,
    paymentId: q.payment,
    createdGte: range.from,
    createdLt: range.to,
  });
  return pageOf(rows, q.limit, q.endingBefore !== undefined, view);
}
