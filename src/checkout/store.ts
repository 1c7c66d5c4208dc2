import { listBySeq, seqOfRow, type Db, type SeqPage, type Tx } from '../db/index.ts';
import type { CaptureMethod, PaymentError, PaymentStatus, ProcessingStep } from './state.ts';

// Checkout's only SQL: checkout_payments, checkout_refunds and their rows of
// payments_balance_transactions (migrations/0010, 0018, 0024). Every read names the merchant and
// mode, so one merchant's key can never reach another merchant's rows.

export interface PaymentRow {
  id: string;
  seq: bigint;
  merchant_id: string;
  livemode: boolean;
  amount: bigint;
  currency: string;
  capture_method: CaptureMethod;
  status: PaymentStatus;
  step: ProcessingStep | null;
  locked_until: Date | null;
  card_token: string | null;
  description: string | null;
  statement_descriptor: string | null;
  metadata: Record<string, string>;
  attempt: number;
  authorization_id: string | null;
  authorization_expires_at: Date | null;
  pending_transfer_id: string | null;
  amount_capturable: bigint;
  amount_received: bigint;
  amount_refunded: bigint;
  amount_refund_reserved: bigint;
  capture_amount: bigint | null;
  next_action: { type: 'three_d_secure'; url: string } | null;
  last_payment_error: PaymentError | null;
  cancellation_reason: string | null;
  release_hold: boolean;
  /** The risk engine asked for a 3-D Secure challenge (step_up): every retry asks it too. */
  challenge_required: boolean;
  /** The risk decision that asked for a review (migration 0047): approved, it is held. */
  review_decision_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A payment as the API shows it: every column but its listing order. */
export type ViewedPayment = Omit<PaymentRow, 'seq'>;

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface RefundRow {
  id: string;
  seq: bigint;
  payment_id: string;
  merchant_id: string;
  livemode: boolean;
  amount: bigint;
  currency: string;
  status: RefundStatus;
  reason: string | null;
  metadata: Record<string, string>;
  failure_reason: string | null;
  locked_until: Date | null;
  transfer_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface BalanceTransactionRow {
  id: string;
  seq: bigint;
  merchant_id: string;
  livemode: boolean;
  /** payment/refund: web payments; the others: wallet payments (payments/store.ts). */
  type: 'payment' | 'refund' | 'code_payment' | 'store_payment' | 'wallet_refund';
  source_id: string;
  transfer_id: string;
  amount: bigint;
  currency: string;
  created_at: Date;
}

export interface Owner {
  merchantId: string;
  livemode: boolean;
}

export type NewPayment = Pick<
  PaymentRow,
  | 'id'
  | 'merchant_id'
  | 'livemode'
  | 'amount'
  | 'currency'
  | 'capture_method'
  | 'status'
  | 'card_token'
  | 'description'
  | 'statement_descriptor'
  | 'metadata'
  | 'created_at'
>;

export async function insertPayment(tx: Tx, p: NewPayment): Promise<PaymentRow> {
  const [row] = await tx<PaymentRow[]>`
    insert into checkout_payments (id, merchant_id, livemode, amount, currency,
      capture_method, status, card_token, description, statement_descriptor, metadata,
      created_at, updated_at)
    values (${p.id}, ${p.merchant_id}, ${p.livemode}, ${p.amount}, ${p.currency},
      ${p.capture_method}, ${p.status}, ${p.card_token}, ${p.description},
      ${p.statement_descriptor}, ${tx.json(p.metadata)}, ${p.created_at}, ${p.created_at})
    returning *`;
  return row!;
}

export async function paymentOf(
  db: Db,
  owner: Owner,
  id: string,
  lock = false,
): Promise<PaymentRow | undefined> {
  const rows = lock
    ? await db<PaymentRow[]>`
        select * from checkout_payments
        where id = ${id} and merchant_id = ${owner.merchantId} and livemode = ${owner.livemode}
        for update`
    : await db<PaymentRow[]>`
        select * from checkout_payments
        where id = ${id} and merchant_id = ${owner.merchantId} and livemode = ${owner.livemode}`;
  return rows[0];
}

/** For background jobs, which act for every merchant. */
export async function paymentById(tx: Tx, id: string): Promise<PaymentRow | undefined> {
  const [row] = await tx<PaymentRow[]>`
    select * from checkout_payments where id = ${id} for update`;
  return row;
}

/** One payment, unlocked, for an operator's page (risk review). */
export async function paymentRead(db: Db, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db<PaymentRow[]>`select * from checkout_payments where id = ${id}`;
  return row;
}

/** The latest payments with any of these card tokens, newest first (checkout_payments_card). */
export async function paymentsOfCards(
  db: Db,
  tokens: readonly string[],
  limit: number,
): Promise<PaymentRow[]> {
  if (tokens.length === 0) return [];
  return db<PaymentRow[]>`
    select * from checkout_payments where card_token = any(${tokens as string[]}::text[])
    order by created_at desc, seq desc limit ${limit}`;
}

export type PaymentPatch = Partial<
  Pick<
    PaymentRow,
    | 'status'
    | 'step'
    | 'locked_until'
    | 'card_token'
    | 'description'
    | 'statement_descriptor'
    | 'metadata'
    | 'attempt'
    | 'authorization_id'
    | 'challenge_required'
    | 'review_decision_id'
    | 'authorization_expires_at'
    | 'pending_transfer_id'
    | 'amount_capturable'
    | 'amount_received'
    | 'amount_refunded'
    | 'amount_refund_reserved'
    | 'capture_amount'
    | 'next_action'
    | 'last_payment_error'
    | 'cancellation_reason'
    | 'release_hold'
  >
>;

const JSON_COLUMNS = new Set(['metadata', 'next_action', 'last_payment_error']);

export async function updatePayment(
  tx: Tx,
  id: string,
  patch: PaymentPatch,
  at: Date,
): Promise<PaymentRow> {
  const set: Record<string, unknown> = { updated_at: at };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    set[k] = JSON_COLUMNS.has(k) && v !== null ? tx.json(v as Parameters<Tx['json']>[0]) : v;
  }
  const [row] = await tx<PaymentRow[]>`
    update checkout_payments set ${tx(set)} where id = ${id} returning *`;
  return row!;
}

export interface ListFilter extends SeqPage {
  status?: string | undefined;
  paymentId?: string | undefined;
}

type Listable = 'checkout_payments' | 'checkout_refunds' | 'payments_balance_transactions';

/** Newest first; limit + 1 rows are read so the caller knows whether there are more. */
export async function list<T>(db: Db, table: Listable, owner: Owner, f: ListFilter): Promise<T[]> {
  const { merchantId, livemode } = owner;
  const equal = { merchant_id: merchantId, livemode, status: f.status, payment_id: f.paymentId };
  return listBySeq<T>(db, table, equal, f);
}

export async function seqOf(
  db: Db,
  table: Listable,
  owner: Owner,
  id: string,
): Promise<bigint | undefined> {
  return seqOfRow(db, table, { merchant_id: owner.merchantId, livemode: owner.livemode }, id);
}

export async function insertRefund(
  tx: Tx,
  r: Omit<RefundRow, 'seq' | 'updated_at' | 'failure_reason' | 'transfer_id'>,
): Promise<RefundRow> {
  const [row] = await tx<RefundRow[]>`
    insert into checkout_refunds (id, payment_id, merchant_id, livemode, amount, currency,
      status, reason, metadata, locked_until, created_at, updated_at)
    values (${r.id}, ${r.payment_id}, ${r.merchant_id}, ${r.livemode}, ${r.amount},
      ${r.currency}, ${r.status}, ${r.reason}, ${tx.json(r.metadata)}, ${r.locked_until},
      ${r.created_at}, ${r.created_at})
    returning *`;
  return row!;
}

export async function refundOf(db: Db, owner: Owner, id: string): Promise<RefundRow | undefined> {
  const [row] = await db<RefundRow[]>`
    select * from checkout_refunds
    where id = ${id} and merchant_id = ${owner.merchantId} and livemode = ${owner.livemode}`;
  return row;
}

export async function refundById(tx: Tx, id: string): Promise<RefundRow | undefined> {
  const [row] = await tx<RefundRow[]>`
    select * from checkout_refunds where id = ${id} for update`;
  return row;
}

export async function updateRefund(
  tx: Tx,
  id: string,
  patch: Partial<Pick<RefundRow, 'status' | 'failure_reason' | 'locked_until' | 'transfer_id'>>,
  at: Date,
): Promise<RefundRow> {
  const set: Record<string, unknown> = { updated_at: at };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) set[k] = v;
  const [row] = await tx<RefundRow[]>`
    update checkout_refunds set ${tx(set)} where id = ${id} returning *`;
  return row!;
}

export async function insertBalanceTransaction(
  tx: Tx,
  b: Omit<BalanceTransactionRow, 'seq'>,
): Promise<void> {
  await tx`
    insert into payments_balance_transactions (id, merchant_id, livemode, type, source_id,
      transfer_id, amount, currency, created_at)
    values (${b.id}, ${b.merchant_id}, ${b.livemode}, ${b.type}, ${b.source_id},
      ${b.transfer_id}, ${b.amount}, ${b.currency}, ${b.created_at})
    on conflict (transfer_id) do nothing`;
}

/** Work for the reconcile job, oldest first. */
export async function openPayments(
  db: Db,
  now: Date,
  limit: number,
): Promise<Array<Pick<PaymentRow, 'id' | 'status' | 'merchant_id' | 'livemode'>>> {
  return db<Array<Pick<PaymentRow, 'id' | 'status' | 'merchant_id' | 'livemode'>>>`
    select id, status, merchant_id, livemode from checkout_payments
    where (status = 'processing' and (locked_until is null or locked_until <= ${now}))
       or status = 'requires_action'
       or (status in ('requires_capture', 'requires_review')
           and authorization_expires_at <= ${now})
       or release_hold
    order by updated_at
    limit ${limit}`;
}

export async function pendingRefunds(
  db: Db,
  now: Date,
  limit: number,
): Promise<Array<Pick<RefundRow, 'id' | 'merchant_id' | 'livemode'>>> {
  return db<Array<Pick<RefundRow, 'id' | 'merchant_id' | 'livemode'>>>`
    select id, merchant_id, livemode from checkout_refunds
    where status = 'pending' and (locked_until is null or locked_until <= ${now})
    order by updated_at
    limit ${limit}`;
}
