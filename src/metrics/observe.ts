import type { CardNetwork } from '../acquirer/index.ts';
import type { Metrics, MoneyKind, MoneyOutcome } from './metrics.ts';

// Where the counters are bumped without touching the modules that do the work: the HTTP
// server's response hook (every request, and the money requests by route), and a wrapper
// around the card network (every call, declines by reason). Both only increment.

/** The money routes, by method and route template, and what they count as. */
const MONEY_ROUTES: ReadonlyMap<string, MoneyKind> = new Map<string, MoneyKind>([
  ['POST /v1/payments/:id/confirm', 'card_payment'],
  ['POST /v1/code_payments', 'code_payment'],
  ['POST /v1/wallet/store_payments', 'store_payment'],
  ['POST /v1/wallet/topups', 'topup'],
  ['POST /v1/wallet/topups/:id/confirm', 'topup'],
  ['POST /v1/refunds', 'refund'],
  ['POST /v1/payments/:id/refunds', 'refund'],
  ['POST /v1/code_payments/:id/refunds', 'refund'],
]);

function outcomeOf(status: number): MoneyOutcome {
  if (status < 400) return 'accepted';
  if (status === 402) return 'declined';
  return status < 500 ? 'refused' : 'failed';
}

/** Requests that matched no route share one label, so a scanner cannot grow the series. */
const UNMATCHED_ROUTE = 'unmatched';

/** The server's response hook: one histogram observation, and a money count by route. */
export function observeResponse(metrics: Metrics) {
  return (method: string, route: string | undefined, status: number, seconds: number) => {
    const template = route ?? UNMATCHED_ROUTE;
    metrics.httpRequest(method, template, status, seconds);
    const kind = MONEY_ROUTES.get(`${method} ${template}`);
    if (kind) metrics.money(kind, outcomeOf(status));
  };
}

/** The card network with every call counted by outcome; a decline also by its code. */
export function meteredNetwork(network: CardNetwork, metrics: Metrics): CardNetwork {
  const count = <T>(operation: string, call: Promise<T>, outcome: (a: T) => [string, string?]) =>
    call.then(
      (answer) => {
        const [o, reason] = outcome(answer);
        metrics.cardNetworkCall(operation, o, reason);
        return answer;
      },
      (error: unknown) => {
        metrics.cardNetworkCall(operation, 'error');
        throw error;
      },
    );
  const wrapped: CardNetwork = {
    name: network.name,
    authorize: (c, r) =>
      count('authorize', network.authorize(c, r), (a) =>
        a.outcome === 'declined' ? ['declined', a.code] : [a.outcome],
      ),
    completeChallenge: (c, r) =>
      count('challenge', network.completeChallenge(c, r), (a) =>
        a.outcome === 'declined' ? ['declined', a.code] : [a.outcome],
      ),
    abandonChallenge: (c, r) => count('abandon', network.abandonChallenge(c, r), () => ['done']),
    capture: (c, r) => count('capture', network.capture(c, r), (a) => [a.outcome]),
    void: (c, r) => count('void', network.void(c, r), (a) => [a.outcome]),
    refund: (c, r) => count('refund', network.refund(c, r), (a) => [a.outcome]),
  };
  if (network.devChallengeCode) {
    const dev = network.devChallengeCode.bind(network);
    wrapped.devChallengeCode = (ref) => dev(ref);
  }
  return wrapped;
}
