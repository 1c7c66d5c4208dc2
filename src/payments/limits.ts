import { DEFAULT_RISK_LIMITS, type RiskLimits } from '../risk/index.ts';

// The payments module's limits, with their units in their names. main.ts passes them from
// config.ts; the defaults below are what config.ts should carry.

export interface PaymentsLimits {
  /** A payment code's life (issue §CPM: at most 5 minutes). */
  codeSecondsMax: number;
  /** Unused, unexpired codes one customer may hold at once. */
  codesActivePerCustomerMax: number;
  /** Window of the guessing counters (wrong, expired or used codes). */
  guessWindowSeconds: number;
  guessFailuresPerTerminalMax: number;
  guessFailuresPerMerchantMax: number;
  /** The micro-batcher waits at most this long for more redemptions before it commits. */
  batchWindowMs: number;
  batchSizeMax: number;
  /** Batches committing at once (each is one transaction on the hot merchant row). */
  batchesInFlightMax: number;
  /** Register idempotency keys are kept this long (≥ 24 h, as the merchant API's). */
  idempotencySecondsRetention: number;
  /** A risk step_up is satisfied by a strong factor no older than this. */
  riskStepUpSecondsMax: number;
  /** A terminal's credentials are re-checked at least this often (revocation delay). */
  terminalAuthCacheMs: number;
  historyPageSizeMax: number;
  /** Largest amount of one payment, refund or top-up (JPY). */
  amountMinorMax: bigint;
  /**
   * A wallet waiting to hear that its code was charged (code-watch.ts) is answered within
   * codeWatchPollMs of the payment, and waits codeWatchSecondsMax at most per request: below
   * the 60 s idle timeout of common proxies, so a long poll is not cut off mid-wait.
   */
  codeWatchPollMs: number;
  codeWatchSecondsMax: number;
  /** Waits held open at once per process, and per customer (a phone needs one). */
  codeWatchWaitsMax: number;
  codeWatchWaitsPerCustomerMax: number;
  risk: RiskLimits;
}

export const DEFAULT_PAYMENTS_LIMITS: PaymentsLimits = Object.freeze({
  codeSecondsMax: 300,
  codesActivePerCustomerMax: 5,
  guessWindowSeconds: 600,
  guessFailuresPerTerminalMax: 20,
  guessFailuresPerMerchantMax: 200,
  batchWindowMs: 1,
  batchSizeMax: 500,
  batchesInFlightMax: 1,
  idempotencySecondsRetention: 48 * 3600,
  riskStepUpSecondsMax: 120,
  terminalAuthCacheMs: 2000,
  historyPageSizeMax: 100,
  amountMinorMax: 10_000_000n,
  codeWatchPollMs: 250,
  codeWatchSecondsMax: 25,
  codeWatchWaitsMax: 2000,
  codeWatchWaitsPerCustomerMax: 2,
  risk: DEFAULT_RISK_LIMITS,
});
