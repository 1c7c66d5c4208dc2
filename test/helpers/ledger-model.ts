// A small in-memory ledger written straight from the ledger's specification, independent
// of src/ledger's state machine (it shares no code with it), for the model-based test.
// Where the real ledger keeps an undo journal for linked chains, this model copies its
// whole state at the start of each chain and puts the copy back when the chain fails.

const MAX = 9_223_372_036_854_775_807n;
const NIL = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CURRENCIES = new Set(['JPY', 'USD', 'EUR']);

export interface ModelAccountInput {
  id: string;
  currency: string;
  code: number;
  flags?: { debitsMustNotExceedCredits?: boolean; creditsMustNotExceedDebits?: boolean };
  userData?: string;
}

export interface ModelTransferInput {
  id: string;
  debitAccountId?: string;
  creditAccountId?: string;
  amount?: bigint;
  currency?: string;
  code?: number;
  flags?: {
    linked?: boolean;
    pending?: boolean;
    postPendingTransfer?: boolean;
    voidPendingTransfer?: boolean;
  };
  pendingId?: string;
  timeoutSeconds?: number;
  userData?: string;
}

export interface ModelAccount {
  id: string;
  currency: string;
  code: number;
  limitDebits: boolean;
  limitCredits: boolean;
  userData: string | null;
  dp: bigint;
  dpo: bigint;
  cp: bigint;
  cpo: bigint;
}

export interface ModelTransfer {
  id: string;
  dr: string;
  cr: string;
  amount: bigint;
  pendingId: string | null;
  currency: string;
  code: number;
  linked: boolean;
  pending: boolean;
  post: boolean;
  void: boolean;
  timeout: number;
  userData: string | null;
  at: number;
  state: 'pending' | 'posted' | 'voided' | 'expired' | null;
}

const validId = (id: string | undefined): id is string =>
  id !== undefined && UUID.test(id) && id !== NIL;
const validCode = (c: number | undefined) =>
  c !== undefined && Number.isInteger(c) && c >= 1 && c <= 65535;

export class LedgerModel {
  accounts = new Map<string, ModelAccount>();
  transfers = new Map<string, ModelTransfer>();

  constructor(private readonly timeoutMax: number) {}

  createAccounts(inputs: ModelAccountInput[]): string[] {
    return inputs.map((a) => {
      if (!validId(a.id)) return 'id_invalid';
      const ld = a.flags?.debitsMustNotExceedCredits === true;
      const lc = a.flags?.creditsMustNotExceedDebits === true;
      if (ld && lc) return 'flags_are_mutually_exclusive';
      if (!validCode(a.code)) return 'code_invalid';
      if (!CURRENCIES.has(a.currency)) return 'currency_invalid';
      const e = this.accounts.get(a.id);
      if (e) {
        if (e.limitDebits !== ld || e.limitCredits !== lc) return 'exists_with_different_flags';
        if (e.code !== a.code) return 'exists_with_different_code';
        if (e.currency !== a.currency) return 'exists_with_different_currency';
        if (e.userData !== (a.userData ?? null)) return 'exists_with_different_user_data';
        return 'exists';
      }
      this.accounts.set(a.id, {
        id: a.id,
        currency: a.currency,
        code: a.code,
        limitDebits: ld,
        limitCredits: lc,
        userData: a.userData ?? null,
        dp: 0n,
        dpo: 0n,
        cp: 0n,
        cpo: 0n,
      });
      return 'ok';
    });
  }

  createTransfers(inputs: ModelTransferInput[], now: number): string[] {
    const results: string[] = [];
    let i = 0;
    while (i < inputs.length) {
      let end = i;
      while (end < inputs.length && inputs[end]!.flags?.linked) end++;
      if (end === inputs.length) {
        for (let k = i; k < inputs.length; k++) {
          results[k] = k === inputs.length - 1 ? 'linked_event_chain_open' : 'linked_event_failed';
        }
        break;
      }
      const saved = this.copy();
      for (let k = i; k <= end; k++) {
        const r = this.one(inputs[k]!, now);
        results[k] = r;
        if (r !== 'ok' && end > i) {
          this.restore(saved);
          for (let j = i; j <= end; j++) if (j !== k) results[j] = 'linked_event_failed';
          break;
        }
      }
      i = end + 1;
    }
    return results;
  }

  expire(now: number): number {
    let n = 0;
    for (const t of this.transfers.values()) {
      if (t.state === 'pending' && t.timeout > 0 && now >= t.at + t.timeout * 1000) {
        this.accounts.get(t.dr)!.dp -= t.amount;
        this.accounts.get(t.cr)!.cp -= t.amount;
        t.state = 'expired';
        n++;
      }
    }
    return n;
  }

  private copy() {
    const accounts = new Map([...this.accounts].map(([k, v]) => [k, { ...v }]));
    const transfers = new Map([...this.transfers].map(([k, v]) => [k, { ...v }]));
    return { accounts, transfers };
  }

  private restore(saved: ReturnType<LedgerModel['copy']>) {
    this.accounts = saved.accounts;
    this.transfers = saved.transfers;
  }

  private one(t: ModelTransferInput, now: number): string {
    const pending = t.flags?.pending === true;
    const post = t.flags?.postPendingTransfer === true;
    const isVoid = t.flags?.voidPendingTransfer === true;
    const timeout = t.timeoutSeconds ?? 0;
    if (!validId(t.id)) return 'id_invalid';
    if (Number(pending) + Number(post) + Number(isVoid) > 1) return 'flags_are_mutually_exclusive';
    const pv = post || isVoid;
    if (t.pendingId !== undefined && !pv) return 'pending_id_must_be_zero';
    if (pv && t.pendingId === undefined) return 'pending_id_must_not_be_zero';
    if (pv && !validId(t.pendingId)) return 'pending_id_invalid';
    if (pv && t.pendingId === t.id) return 'pending_id_must_be_different';
    if (timeout > 0 && !pending) return 'timeout_reserved_for_pending_transfer';
    if (timeout > this.timeoutMax) return 'timeout_exceeds_limit';
    if (!pv) {
      if (!validId(t.debitAccountId)) return 'debit_account_id_invalid';
      if (!validId(t.creditAccountId)) return 'credit_account_id_invalid';
      if (t.debitAccountId === t.creditAccountId) return 'accounts_must_be_different';
      if (t.amount === undefined || t.amount <= 0n) return 'amount_must_be_positive';
      if (!validCode(t.code)) return 'code_invalid';
      if (t.currency === undefined || !CURRENCIES.has(t.currency)) return 'currency_invalid';
    } else if (t.amount !== undefined && t.amount <= 0n) {
      return 'amount_must_be_positive';
    }
    const e = this.transfers.get(t.id);
    if (e) return this.exists(t, e);
    return pv ? this.resolve(t, post, now) : this.plain(t, pending, now);
  }

  private exists(t: ModelTransferInput, e: ModelTransfer): string {
    const f = t.flags ?? {};
    if (
      !!f.linked !== e.linked ||
      !!f.pending !== e.pending ||
      !!f.postPendingTransfer !== e.post ||
      !!f.voidPendingTransfer !== e.void
    ) {
      return 'exists_with_different_flags';
    }
    if (t.pendingId !== undefined && t.pendingId !== e.pendingId)
      return 'exists_with_different_pending_id';
    if (t.timeoutSeconds !== undefined && t.timeoutSeconds !== e.timeout)
      return 'exists_with_different_timeout';
    if (t.debitAccountId !== undefined && t.debitAccountId !== e.dr)
      return 'exists_with_different_debit_account_id';
    if (t.creditAccountId !== undefined && t.creditAccountId !== e.cr)
      return 'exists_with_different_credit_account_id';
    if (t.amount !== undefined && t.amount !== e.amount) return 'exists_with_different_amount';
    if (t.currency !== undefined && t.currency !== e.currency)
      return 'exists_with_different_currency';
    if (t.code !== undefined && t.code !== e.code) return 'exists_with_different_code';
    if (t.userData !== undefined && t.userData !== e.userData)
      return 'exists_with_different_user_data';
    return 'exists';
  }

  private plain(t: ModelTransferInput, pending: boolean, now: number): string {
    const d = this.accounts.get(t.debitAccountId!);
    if (!d) return 'debit_account_not_found';
    const c = this.accounts.get(t.creditAccountId!);
    if (!c) return 'credit_account_not_found';
    if (d.currency !== c.currency) return 'accounts_must_have_the_same_currency';
    if (t.currency !== d.currency) return 'transfer_must_have_the_same_currency_as_accounts';
    const a = t.amount!;
    if (d.dp + d.dpo + a > MAX) return 'overflows_debits';
    if (c.cp + c.cpo + a > MAX) return 'overflows_credits';
    if (d.limitDebits && d.dp + d.dpo + a > d.cpo) return 'exceeds_credits';
    if (c.limitCredits && c.cp + c.cpo + a > c.dpo) return 'exceeds_debits';
    if (pending) {
      d.dp += a;
      c.cp += a;
    } else {
      d.dpo += a;
      c.cpo += a;
    }
    this.transfers.set(t.id, {
      id: t.id,
      dr: d.id,
      cr: c.id,
      amount: a,
      pendingId: null,
      currency: d.currency,
      code: t.code!,
      linked: !!t.flags?.linked,
      pending,
      post: false,
      void: false,
      timeout: t.timeoutSeconds ?? 0,
      userData: t.userData ?? null,
      at: now,
      state: pending ? 'pending' : null,
    });
    return 'ok';
  }

  private resolve(t: ModelTransferInput, post: boolean, now: number): string {
    const p = this.transfers.get(t.pendingId!);
    if (!p) return 'pending_transfer_not_found';
    if (!p.pending) return 'pending_transfer_not_pending';
    if (t.debitAccountId !== undefined && t.debitAccountId !== p.dr)
      return 'pending_transfer_has_different_debit_account_id';
    if (t.creditAccountId !== undefined && t.creditAccountId !== p.cr)
      return 'pending_transfer_has_different_credit_account_id';
    if (t.currency !== undefined && t.currency !== p.currency)
      return 'pending_transfer_has_different_currency';
    if (t.code !== undefined && t.code !== p.code) return 'pending_transfer_has_different_code';
    if (p.state === 'posted') return 'pending_transfer_already_posted';
    if (p.state === 'voided') return 'pending_transfer_already_voided';
    if (p.state === 'expired' || (p.timeout > 0 && now >= p.at + p.timeout * 1000))
      return 'pending_transfer_expired';
    if (post && t.amount !== undefined && t.amount > p.amount)
      return 'exceeds_pending_transfer_amount';
    if (!post && t.amount !== undefined && t.amount !== p.amount)
      return 'pending_transfer_has_different_amount';
    const amount = post ? (t.amount ?? p.amount) : p.amount;
    const d = this.accounts.get(p.dr)!;
    const c = this.accounts.get(p.cr)!;
    d.dp -= p.amount;
    c.cp -= p.amount;
    if (post) {
      d.dpo += amount;
      c.cpo += amount;
    }
    p.state = post ? 'posted' : 'voided';
    this.transfers.set(t.id, {
      id: t.id,
      dr: p.dr,
      cr: p.cr,
      amount,
      pendingId: p.id,
      currency: p.currency,
      code: p.code,
      linked: !!t.flags?.linked,
      pending: false,
      post,
      void: !post,
      timeout: 0,
      userData: t.userData ?? null,
      at: now,
      state: null,
    });
    return 'ok';
  }
}
