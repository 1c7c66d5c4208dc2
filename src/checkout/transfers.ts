import { createHash } from 'node:crypto';
import type { AccountInput, TransferInput } from '../ledger/index.ts';
import { accountIdFor, accountInput, CARD_CLEARING_OWNER } from '../payments/index.ts';

// How web payments move money in the ledger, pure. Authorize = a pending transfer
// card_clearing → merchant that expires with the authorization; capture = its post (all or
// part, the rest released); cancel = its void; refund = merchant → card_clearing.
//
// Transfer ids are derived from the payment or refund id and the step, so a retry of any
// step names the same transfer and the ledger answers `exists` instead of moving money twice.
// Test-mode traffic has its own accounts (owner `…:test`), so it never mixes with live money.

const WEB_TRANSFER_CODES = { card_payment: 20, card_refund: 21 } as const;

type TransferPurpose = 'authorize' | 'capture' | 'capture_late' | 'void' | 'refund';

const NAMESPACE = 'kinko:payments-web:transfer:v1';

/** A UUID (version 8, RFC 9562) for (source, purpose). */
export function transferIdFor(sourceId: string, purpose: TransferPurpose): string {
  const bytes = createHash('sha256').update(`${NAMESPACE}|${sourceId}|${purpose}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

interface Owned {
  merchant_id: string;
  livemode: boolean;
  currency: string;
}

const owner = (id: string, livemode: boolean) => (livemode ? id : `${id}:test`);

export function accountsFor(p: Owned): AccountInput[] {
  return [
    accountInput('card_clearing', owner(CARD_CLEARING_OWNER, p.livemode), p.currency),
    accountInput('merchant', owner(p.merchant_id, p.livemode), p.currency),
  ];
}

function accounts(p: Owned): { clearing: string; merchant: string } {
  return {
    clearing: accountIdFor('card_clearing', owner(CARD_CLEARING_OWNER, p.livemode), p.currency),
    merchant: accountIdFor('merchant', owner(p.merchant_id, p.livemode), p.currency),
  };
}

export function authorizeTransfer(
  p: Owned & { id: string; amount: bigint },
  timeoutSeconds: number,
): TransferInput {
  const a = accounts(p);
  return {
    id: transferIdFor(p.id, 'authorize'),
    debitAccountId: a.clearing,
    creditAccountId: a.merchant,
    amount: p.amount,
    currency: p.currency,
    code: WEB_TRANSFER_CODES.card_payment,
    flags: { pending: true },
    timeoutSeconds,
    userData: p.id,
  };
}

export function captureTransfer(p: { id: string }, amount: bigint): TransferInput {
  return {
    id: transferIdFor(p.id, 'capture'),
    pendingId: transferIdFor(p.id, 'authorize'),
    amount,
    flags: { postPendingTransfer: true },
    userData: p.id,
  };
}

/**
 * The card network captured, but the ledger's hold had already expired or been voided: the
 * money was taken all the same, so it is booked as a plain transfer.
 */
export function lateCaptureTransfer(p: Owned & { id: string }, amount: bigint): TransferInput {
  const a = accounts(p);
  return {
    id: transferIdFor(p.id, 'capture_late'),
    debitAccountId: a.clearing,
    creditAccountId: a.merchant,
    amount,
    currency: p.currency,
    code: WEB_TRANSFER_CODES.card_payment,
    userData: p.id,
  };
}

export function voidTransfer(p: { id: string }): TransferInput {
  return {
    id: transferIdFor(p.id, 'void'),
    pendingId: transferIdFor(p.id, 'authorize'),
    flags: { voidPendingTransfer: true },
    userData: p.id,
  };
}

export function refundTransfer(r: Owned & { id: string; amount: bigint }): TransferInput {
  const a = accounts(r);
  return {
    id: transferIdFor(r.id, 'refund'),
    debitAccountId: a.merchant,
    creditAccountId: a.clearing,
    amount: r.amount,
    currency: r.currency,
    code: WEB_TRANSFER_CODES.card_refund,
    userData: r.id,
  };
}
