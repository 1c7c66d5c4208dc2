// The connector interface every card network adapter implements: authorize (which may
// require a 3-D Secure challenge), the challenge's completion or abandonment, capture, void
// and refund. Every call carries the caller's idempotency key, so that a retry after a lost
// answer returns the first answer, and an AbortSignal, so that no call waits forever.

export interface NetworkCard {
  pan: string;
  expMonth: number;
  expYear: number;
  /** Held in memory for this one call only; never stored, logged or echoed back. */
  cvc?: string | undefined;
}

export interface CallContext {
  idempotencyKey: string;
  signal: AbortSignal;
}

export type DeclineCode =
  'card_declined' | 'insufficient_funds' | 'expired_card' | 'incorrect_cvc' | 'processing_error';

export type AuthorizeAnswer =
  | { outcome: 'approved'; networkRef: string; threeDs: 'frictionless' | 'challenge' }
  | { outcome: 'declined'; networkRef: string; code: DeclineCode }
  | { outcome: 'challenge'; networkRef: string };

export type ChallengeAnswer =
  | { outcome: 'approved'; networkRef: string }
  | { outcome: 'declined'; networkRef: string; code: DeclineCode }
  /** The one-time code was wrong; the cardholder may try again. */
  | { outcome: 'retry'; networkRef: string }
  | { outcome: 'challenge_failed'; networkRef: string };

export type OperationAnswer =
  { outcome: 'succeeded'; networkRef: string } | { outcome: 'failed'; code: string };

export interface CardNetwork {
  readonly name: string;
  /** `challengeRequired`: the issuer is asked to challenge the cardholder, not to waive it. */
  authorize(
    call: CallContext,
    request: {
      card: NetworkCard;
      amountMinor: bigint;
      currency: string;
      challengeRequired?: boolean;
    },
  ): Promise<AuthorizeAnswer>;
  completeChallenge(
    call: CallContext,
    request: { networkRef: string; code: string },
  ): Promise<ChallengeAnswer>;
  abandonChallenge(call: CallContext, request: { networkRef: string }): Promise<void>;
  capture(
    call: CallContext,
    request: { networkRef: string; amountMinor: bigint },
  ): Promise<OperationAnswer>;
  void(call: CallContext, request: { networkRef: string }): Promise<OperationAnswer>;
  refund(
    call: CallContext,
    request: { networkRef: string; amountMinor: bigint },
  ): Promise<OperationAnswer>;
  /** Development only: the one-time code the simulator's challenge expects. */
  devChallengeCode?(networkRef: string): string | undefined;
}

/** Thrown by a connector when the network could not be reached (nothing was processed). */
export class NetworkUnreachableError extends Error {
  override name = 'NetworkUnreachableError';
}
