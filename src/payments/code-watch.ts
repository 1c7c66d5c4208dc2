import type { PaymentsDeps } from './context.ts';
import * as store from './store.ts';
import { walletBalance } from './wallet.ts';

// Telling the wallet that a register charged its code, so the phone can swap the spent code
// for "paid ¥1,200 at Yamada Shoten" within about a second. The wallet asks (long polling):
// "has a register charged a code this device showed, after time T?" and the answer waits
// until one has, or until the wait ends.
//
// The answer comes from the database, never from memory: the register's payment may commit
// in any process behind the load balancer, and the process holding the wallet's request sees
// it all the same. One timer per process polls for every waiting wallet with one statement
// every codeWatchPollMs (an index range per wait, on payments_payments by customer and
// time), and only while someone waits; a thousand waiting phones cost one query per poll,
// not a thousand. Waits are bounded in time (codeWatchSecondsMax), in number per process and
// per customer; past a bound the wallet is answered at once and told when to ask again.

interface CodePaymentNotice {
  object: 'code_payment_notice';
  /** The first register payment after `after`; null when the wait ended without one. */
  payment: {
    id: string;
    amount: string;
    currency: string;
    merchant_id: string;
    store_id: string;
    store_name: string | null;
    created_at: string;
  } | null;
  /** The wallet's balance after the payment (with a payment only). */
  balance?: string;
  /** Set when this process holds too many waits: ask again after this long. */
  retry_after_seconds?: number;
}

interface CodeWatch {
  /** Answers at once when a payment exists, else when one commits, or after waitMs. */
  next(
    who: { customerId: string; deviceId: string },
    after: Date,
    waitMs: number,
    gone: AbortSignal,
  ): Promise<CodePaymentNotice>;
  /** Waits held open now. */
  size(): number;
  /** Answers every wait (payment: null) and stops polling: the server is closing. */
  close(): void;
}

interface Wait {
  key: store.CodeWait;
  settle(row: store.PaymentRow | null): void;
}

/** How soon a wallet turned away by a bound should ask again. */
const BUSY_RETRY_SECONDS = 5;

interface State {
  waits: Set<Wait>;
  perCustomer: Map<string, number>;
}

function count(state: State, customerId: string, by: number): void {
  const n = (state.perCustomer.get(customerId) ?? 0) + by;
  if (n > 0) state.perCustomer.set(customerId, n);
  else state.perCustomer.delete(customerId);
}

/** Holds one wait until a poll settles it, its deadline passes or its client goes away. */
function hold(state: State, key: store.CodeWait, waitMs: number, gone: AbortSignal) {
  return new Promise<store.PaymentRow | null>((resolve) => {
    const w: Wait = {
      key,
      settle: (row) => {
        if (!state.waits.delete(w)) return;
        clearTimeout(deadline);
        gone.removeEventListener('abort', onGone);
        count(state, key.customerId, -1);
        resolve(row);
      },
    };
    const onGone = () => w.settle(null);
    const deadline = setTimeout(onGone, waitMs);
    state.waits.add(w);
    count(state, key.customerId, 1);
    gone.addEventListener('abort', onGone, { once: true });
    if (gone.aborted) onGone();
  });
}

export function createCodeWatch(deps: PaymentsDeps): CodeWatch {
  const state: State = { waits: new Set(), perCustomer: new Map() };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const schedule = () => {
    if (timer || closed || state.waits.size === 0) return;
    timer = setTimeout(() => void poll(), deps.limits.codeWatchPollMs);
    timer.unref();
  };
  const poll = async () => {
    const list = [...state.waits];
    try {
      const rows = await store.codePaymentsAfter(
        deps.sql,
        list.map((w) => w.key),
      );
      for (const row of rows) list[row.wait]?.settle(row);
    } catch (err) {
      // A failed poll (database restarting) is retried at the next tick; waits still end.
      deps.log.warn({ err }, 'code watch poll failed');
    } finally {
      timer = undefined;
      schedule();
    }
  };
  const empty = (retry?: number): CodePaymentNotice => ({
    object: 'code_payment_notice',
    payment: null,
    ...(retry === undefined ? {} : { retry_after_seconds: retry }),
  });
  return {
    async next(who, after, waitMs, gone) {
      const key = { customerId: who.customerId, deviceId: who.deviceId, after };
      const [now] = await store.codePaymentsAfter(deps.sql, [key]);
      if (now) return notice(deps, now);
      const busy =
        closed ||
        state.waits.size >= deps.limits.codeWatchWaitsMax ||
        (state.perCustomer.get(who.customerId) ?? 0) >= deps.limits.codeWatchWaitsPerCustomerMax;
      if (busy) return empty(BUSY_RETRY_SECONDS);
      if (waitMs <= 0) return empty();
      const waiting = hold(state, key, waitMs, gone);
      schedule();
      const row = await waiting;
      return row ? notice(deps, row) : empty();
    },
    size: () => state.waits.size,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const w of [...state.waits]) w.settle(null);
    },
  };
}

async function notice(deps: PaymentsDeps, p: store.PaymentRow): Promise<CodePaymentNotice> {
  const [shop, balance] = await Promise.all([
    deps.merchants.getStore(p.merchant_id, p.store_id).catch(() => undefined),
    walletBalance(deps, p.customer_id),
  ]);
  return {
    object: 'code_payment_notice',
    payment: {
      id: p.id,
      amount: p.amount_minor.toString(),
      currency: p.currency,
      merchant_id: p.merchant_id,
      store_id: p.store_id,
      store_name: shop?.name ?? null,
      created_at: p.created_at.toISOString(),
    },
    balance: balance.toString(),
  };
}
