import { assert } from '../lib/assert.ts';

// The web payment's state machine, pure: which statuses may follow which, which merchant
// action may start from which status, and what an authorization's outcome means for a
// payment. No SQL, no clock of its own, no network: payments.ts applies the answers.
//
// `processing` is the status while a card network call (authorize, capture or void) is in
// flight or its answer is unknown (a timeout). Its `step` says which call, so that a retry
// (the merchant's, or the reconcile job's) repeats exactly that call under the same
// idempotency key and never starts a second one.
//
// `requires_review` is an approved authorization the risk engine held for an analyst: the
// funds are reserved at the issuer, nothing is captured, and the merchant can neither
// capture nor confirm it (payment_under_review) until the review is decided: approved, it
// goes on as its capture method says; declined, or left past its authorization's validity,
// it is voided and canceled (checkout/review.ts).

export const PAYMENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_review',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type ProcessingStep = 'authorize' | 'capture' | 'void';
export type CaptureMethod = 'automatic' | 'manual';

/** Every allowed transition, and no other. succeeded and canceled are final. */
export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  requires_payment_method: ['requires_confirmation', 'canceled'],
  requires_confirmation: ['requires_confirmation', 'processing', 'canceled'],
  requires_action: [
    'processing',
    'requires_review',
    'requires_capture',
    'requires_payment_method',
    'canceled',
  ],
  processing: [
    'processing',
    'requires_action',
    'requires_review',
    'requires_capture',
    'succeeded',
    'requires_payment_method',
    'canceled',
  ],
  // Approved: captured (processing/capture) or left to the merchant (requires_capture);
  // declined, expired or canceled: voided (processing/void).
  requires_review: ['processing', 'requires_capture'],
  requires_capture: ['processing'],
  succeeded: [],
  canceled: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  assert(canTransition(from, to), `web payment transition ${from} → ${to} is not allowed`);
}

type PaymentAction = 'update' | 'confirm' | 'capture' | 'cancel' | 'refund';

/** Where each merchant action may start; in processing only to resume the same step. */
export const ACTIONS: Readonly<
  Record<PaymentAction, { from: readonly PaymentStatus[]; resumes?: readonly ProcessingStep[] }>
> = {
  update: { from: ['requires_payment_method', 'requires_confirmation'] },
  confirm: {
    from: ['requires_confirmation', 'requires_action', 'processing'],
    resumes: ['authorize', 'capture'],
  },
  capture: { from: ['requires_capture', 'processing'], resumes: ['capture'] },
  cancel: {
    from: [
      'requires_payment_method',
      'requires_confirmation',
      'requires_action',
      'requires_review',
      'requires_capture',
      'processing',
    ],
    resumes: ['void'],
  },
  refund: { from: ['succeeded'] },
};

export interface PaymentState {
  status: PaymentStatus;
  step: ProcessingStep | null;
  /** While a call is running: until when it holds the payment. */
  lockedUntilMs: number | null;
  hasPaymentMethod: boolean;
}

type ActionCheck =
  | { ok: true; resume: ProcessingStep | null }
  | {
      ok: false;
      code:
        | 'payment_unexpected_state'
        | 'payment_in_progress'
        | 'payment_method_missing'
        | 'payment_under_review';
    };

/** May this action start now? A resume is allowed only once the previous call let go. */
export function checkAction(action: PaymentAction, p: PaymentState, nowMs: number): ActionCheck {
  const rule = ACTIONS[action];
  if (action === 'confirm' && p.status === 'requires_payment_method') {
    return { ok: false, code: 'payment_method_missing' };
  }
  if (!rule.from.includes(p.status)) {
    // Held for review: the merchant is told why it cannot capture (or confirm) it yet.
    const held = p.status === 'requires_review';
    return { ok: false, code: held ? 'payment_under_review' : 'payment_unexpected_state' };
  }
  if (p.status !== 'processing') return { ok: true, resume: null };
  if (!p.step || !rule.resumes?.includes(p.step)) {
    return { ok: false, code: 'payment_unexpected_state' };
  }
  if (p.lockedUntilMs !== null && p.lockedUntilMs > nowMs) {
    return { ok: false, code: 'payment_in_progress' };
  }
  return { ok: true, resume: p.step };
}

/** The acquirer's authorization statuses, as this machine needs them. */
type AuthorizationOutcome =
  | { kind: 'approved' }
  | { kind: 'challenge'; url: string }
  | { kind: 'challenge_pending' }
  | { kind: 'declined'; declineCode: string }
  | { kind: 'authentication_failed' }
  | { kind: 'unknown' };

export function outcomeOf(a: {
  status: string;
  declineCode: string | null;
  challengeUrl: string | null;
}): AuthorizationOutcome {
  switch (a.status) {
    case 'authorized':
      return { kind: 'approved' };
    case 'requires_challenge':
      return a.challengeUrl ? { kind: 'challenge', url: a.challengeUrl } : { kind: 'unknown' };
    case 'declined':
    case 'failed':
      return { kind: 'declined', declineCode: a.declineCode ?? 'card_declined' };
    case 'challenge_failed':
    case 'challenge_expired':
      return { kind: 'authentication_failed' };
    case 'voided':
      return { kind: 'declined', declineCode: 'authorization_voided' };
    default:
      return { kind: 'unknown' };
  }
}

export interface PaymentError {
  type: 'card_error';
  code: string;
  decline_code?: string;
  message: string;
}

type AuthorizationStep =
  | { status: 'requires_action'; nextActionUrl: string }
  | { status: 'requires_capture' }
  /** Approved, but the risk engine asked for a review: held, whatever the capture method. */
  | { status: 'requires_review' }
  /** Automatic capture: the capture call comes next, still under processing. */
  | { status: 'processing'; step: 'capture' }
  | { status: 'requires_payment_method'; error: PaymentError }
  /** The answer is not known yet (a timeout): stay and retry the same call. */
  | { status: 'processing'; step: 'authorize' };

/**
 * What an authorization's outcome does to a payment. Only an approved authorization leads
 * toward a charge; a failed, abandoned or pending challenge never does. An approved one the
 * risk engine asked to review is held, never captured nor offered for capture.
 */
export function afterAuthorization(
  captureMethod: CaptureMethod,
  o: AuthorizationOutcome,
  review = false,
): AuthorizationStep {
  switch (o.kind) {
    case 'approved':
      if (review) return { status: 'requires_review' };
      return captureMethod === 'manual'
        ? { status: 'requires_capture' }
        : { status: 'processing', step: 'capture' };
    case 'challenge':
      return { status: 'requires_action', nextActionUrl: o.url };
    case 'declined':
      return {
        status: 'requires_payment_method',
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: o.declineCode,
          message: 'The card was declined.',
        },
      };
    case 'authentication_failed':
      return {
        status: 'requires_payment_method',
        error: {
          type: 'card_error',
          code: 'payment_authentication_failed',
          message: 'The cardholder did not complete 3-D Secure authentication.',
        },
      };
    case 'challenge_pending':
    case 'unknown':
      return { status: 'processing', step: 'authorize' };
  }
}

/** The webhook event a transition announces, if any. */
export function eventFor(from: PaymentStatus, to: PaymentStatus): string | undefined {
  if (from === to) return undefined;
  switch (to) {
    case 'requires_action':
      return 'payment.requires_action';
    case 'requires_capture':
      return 'payment.amount_capturable_updated';
    case 'succeeded':
      return 'payment.succeeded';
    case 'canceled':
      return 'payment.canceled';
    case 'requires_payment_method':
      return from === 'processing' || from === 'requires_action'
        ? 'payment.payment_failed'
        : undefined;
    default:
      return undefined;
  }
}

/** How much a refund may still take: captured minus refunds succeeded or under way. */
export function refundable(p: { amountReceived: bigint; amountRefundReserved: bigint }): bigint {
  return p.amountReceived - p.amountRefundReserved;
}
