import { randomInt } from 'node:crypto';
import { publicId } from '../lib/ids.ts';
import type {
  AuthorizeAnswer,
  CallContext,
  CardNetwork,
  ChallengeAnswer,
  DeclineCode,
  NetworkCard,
  OperationAnswer,
} from './network.ts';
import { NetworkUnreachableError } from './network.ts';

// The built-in card network: in-process and deterministic per card number, with the test
// cards integrators know. It keeps its own state the way a real network would (answers by
// idempotency key, holds, captures), so tests can count charges. It never keeps a security
// code: a code is checked in the call that carries it and only the verdict survives.

type Behaviour =
  | { kind: 'approve' }
  | { kind: 'decline'; code: DeclineCode }
  | { kind: 'challenge'; passes: boolean };

/** The published test cards and what each does. Any other valid number approves. */
const TEST_CARDS: Readonly<Record<string, Behaviour>> = {
  '4242424242424242': { kind: 'approve' },
  '5555555555554444': { kind: 'approve' },
  '2223003122003222': { kind: 'approve' },
  '3566002020360505': { kind: 'approve' },
  '378282246310005': { kind: 'approve' },
  '4000000000000002': { kind: 'decline', code: 'card_declined' },
  '4000000000009995': { kind: 'decline', code: 'insufficient_funds' },
  '4000000000000069': { kind: 'decline', code: 'expired_card' },
  '4000000000000127': { kind: 'decline', code: 'incorrect_cvc' },
  '4000000000000119': { kind: 'decline', code: 'processing_error' },
  '4000000000003220': { kind: 'challenge', passes: true },
  '4000000000003063': { kind: 'challenge', passes: false },
};

function behaviourOf(pan: string): Behaviour {
  const known = TEST_CARDS[pan];
  if (known) return known;
  // Integrators also use these endings on other brands' numbers.
  if (pan.endsWith('9995')) return { kind: 'decline', code: 'insufficient_funds' };
  return { kind: 'approve' };
}

type Operation =
  'authorize' | 'completeChallenge' | 'abandonChallenge' | 'capture' | 'void' | 'refund';

/**
 * - timeout: the call hangs (nothing processed) until the caller's signal aborts it;
 * - network_error: the call fails at once (nothing processed);
 * - lost_answer: the call is processed but its answer never arrives (hangs until aborted).
 */
type FaultKind = 'timeout' | 'network_error' | 'lost_answer';

interface Hold {
  amountMinor: bigint;
  currency: string;
  status: 'challenge' | 'approved' | 'declined' | 'challenge_failed' | 'abandoned' | 'voided';
  passes: boolean;
  declineAfterChallenge: DeclineCode | undefined;
  devCode: string;
  capturedMinor: bigint;
  refundedMinor: bigint;
}

interface SimulatorStats {
  /** Holds approved (money reserved on a card). */
  approvedHolds: number;
  capturedMinor: bigint;
  refundedMinor: bigint;
  /** Calls that reached the network, by operation. */
  calls: Record<Operation, number>;
}

export interface Simulator extends CardNetwork {
  injectFault(operation: Operation, kind: FaultKind, times?: number): void;
  stats(): SimulatorStats;
}

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(new NetworkUnreachableError('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export function createSimulator(): Simulator {
  const answers = new Map<string, unknown>();
  const holds = new Map<string, Hold>();
  const faults: Array<{ operation: Operation; kind: FaultKind; left: number }> = [];
  const calls: Record<Operation, number> = {
    authorize: 0,
    completeChallenge: 0,
    abandonChallenge: 0,
    capture: 0,
    void: 0,
    refund: 0,
  };

  // Runs `work` once per (operation, idempotency key) and applies any injected fault.
  async function once<T>(op: Operation, call: CallContext, work: () => T): Promise<T> {
    const fault = faults.find((f) => f.operation === op && f.left > 0);
    if (fault) fault.left -= 1;
    if (fault?.kind === 'network_error') throw new NetworkUnreachableError('connection reset');
    if (fault?.kind === 'timeout') return hang(call.signal);
    calls[op] += 1;
    const key = `${op}:${call.idempotencyKey}`;
    if (!answers.has(key)) answers.set(key, work());
    if (fault?.kind === 'lost_answer') return hang(call.signal);
    return answers.get(key) as T;
  }

  const hold = (ref: string): Hold | undefined => holds.get(ref);

  return {
    name: 'simulator',
    injectFault: (operation, kind, times = 1) => faults.push({ operation, kind, left: times }),
    stats: () => statsOf(holds, calls),
    authorize: (call, req) => once('authorize', call, () => authorizeOnce(holds, req)),
    completeChallenge: (call, req) =>
      once('completeChallenge', call, () => completeOnce(hold(req.networkRef), req)),
    abandonChallenge: (call, req) =>
      once('abandonChallenge', call, () => {
        const h = hold(req.networkRef);
        if (h?.status === 'challenge') h.status = 'abandoned';
      }),
    capture: (call, req) => once('capture', call, () => captureOnce(hold(req.networkRef), req)),
    void: (call, req) => once('void', call, () => voidOnce(hold(req.networkRef))),
    refund: (call, req) => once('refund', call, () => refundOnce(hold(req.networkRef), req)),
    devChallengeCode: (ref) => {
      const h = hold(ref);
      return h?.status === 'challenge' ? h.devCode : undefined;
    },
  };
}

function statsOf(holds: Map<string, Hold>, calls: Record<Operation, number>): SimulatorStats {
  let approvedHolds = 0;
  let capturedMinor = 0n;
  let refundedMinor = 0n;
  for (const h of holds.values()) {
    if (h.status === 'approved') approvedHolds += 1;
    capturedMinor += h.capturedMinor;
    refundedMinor += h.refundedMinor;
  }
  return { approvedHolds, capturedMinor, refundedMinor, calls: { ...calls } };
}

function captureOnce(h: Hold | undefined, req: { amountMinor: bigint }): OperationAnswer {
  if (!h || h.status !== 'approved' || h.capturedMinor + req.amountMinor > h.amountMinor) {
    return { outcome: 'failed', code: 'not_capturable' };
  }
  h.capturedMinor += req.amountMinor;
  return { outcome: 'succeeded', networkRef: publicId('simcap') };
}

function voidOnce(h: Hold | undefined): OperationAnswer {
  if (!h || h.status !== 'approved' || h.capturedMinor > 0n) {
    return { outcome: 'failed', code: 'not_voidable' };
  }
  h.status = 'voided';
  return { outcome: 'succeeded', networkRef: publicId('simvoid') };
}

function refundOnce(h: Hold | undefined, req: { amountMinor: bigint }): OperationAnswer {
  if (!h || h.refundedMinor + req.amountMinor > h.capturedMinor) {
    return { outcome: 'failed', code: 'not_refundable' };
  }
  h.refundedMinor += req.amountMinor;
  return { outcome: 'succeeded', networkRef: publicId('simref') };
}

function authorizeOnce(
  holds: Map<string, Hold>,
  req: { card: NetworkCard; amountMinor: bigint; currency: string; challengeRequired?: boolean },
): AuthorizeAnswer {
  const ref = publicId('simauth');
  const plain = behaviourOf(req.card.pan);
  // Asked to challenge, an issuer that would have approved frictionlessly challenges instead
  // (and the one-time code passes); a decline stays a decline.
  const b: Behaviour =
    req.challengeRequired && plain.kind === 'approve' && req.amountMinor > 0n
      ? { kind: 'challenge', passes: true }
      : plain;
  const base = {
    amountMinor: req.amountMinor,
    currency: req.currency,
    passes: false,
    declineAfterChallenge: undefined,
    devCode: String(randomInt(0, 1_000_000)).padStart(6, '0'),
    capturedMinor: 0n,
    refundedMinor: 0n,
  };
  if (b.kind === 'decline' && !(b.code === 'insufficient_funds' && req.amountMinor === 0n)) {
    holds.set(ref, { ...base, status: 'declined' });
    return { outcome: 'declined', networkRef: ref, code: b.code };
  }
  if (b.kind === 'challenge') {
    holds.set(ref, { ...base, status: 'challenge', passes: b.passes });
    return { outcome: 'challenge', networkRef: ref };
  }
  holds.set(ref, { ...base, status: 'approved' });
  return { outcome: 'approved', networkRef: ref, threeDs: 'frictionless' };
}

function completeOnce(
  h: Hold | undefined,
  req: { networkRef: string; code: string },
): ChallengeAnswer {
  const ref = req.networkRef;
  if (!h || h.status === 'abandoned' || h.status === 'challenge_failed') {
    return { outcome: 'challenge_failed', networkRef: ref };
  }
  if (h.status === 'approved') return { outcome: 'approved', networkRef: ref };
  if (h.status !== 'challenge') return { outcome: 'challenge_failed', networkRef: ref };
  if (!h.passes) {
    h.status = 'challenge_failed';
    return { outcome: 'challenge_failed', networkRef: ref };
  }
  if (req.code !== h.devCode) return { outcome: 'retry', networkRef: ref };
  if (h.declineAfterChallenge) {
    h.status = 'declined';
    return { outcome: 'declined', networkRef: ref, code: h.declineAfterChallenge };
  }
  h.status = 'approved';
  return { outcome: 'approved', networkRef: ref };
}
