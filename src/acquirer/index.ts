import { authorize, getAuthorization, type AcquirerDeps } from './acquirer.ts';
import { answerChallenge, challengePageInfo, expireChallenges } from './challenge.ts';
import { operate } from './operations.ts';
import type { Acquirer } from './service.ts';

// Acquirer: the card network behind Kinko — a connector interface, the built-in simulator,
// and 3-D Secure.
//
// Glossary
// - card network: whatever answers authorizations (the simulator here; a real acquirer's
//   API in production), reached through the CardNetwork connector interface.
// - authorization: a hold of an amount on a card, or (amount 0) a check that the card is
//   good. Status: pending → authorized | declined | failed | requires_challenge → …
// - attempt: the caller's payment or verification attempt an authorization belongs to; a
//   3-D Secure result is bound to its authorization and so to the attempt.
// - 3-D Secure: the card issuer authenticating the cardholder; frictionless (no question)
//   or a challenge (a one-time code on a page Kinko serves).
// - challenge: that page's record; ends authenticated, failed or expired (abandoned).
// - idempotency key: the caller's key for one call; a retry with it returns the first answer.
// - operation: a capture, void or refund of an authorization.

export type { Authorization } from './acquirer.ts';
export type { OperationResult } from './operations.ts';
export type { CardNetwork } from './network.ts';
export { createSimulator, type Simulator } from './simulator.ts';
export { acquirerError } from './errors.ts';
export { acquirerRoutes } from './routes.ts';
export type { Acquirer } from './service.ts';
export {
  CSP_REPORT_PATH,
  newNonce,
  paymentPageCsp,
  escapeHtml,
  jsonForHtml,
  sendPaymentPage,
} from './page.ts';

export function createAcquirer(deps: AcquirerDeps): Acquirer {
  return {
    networkName: deps.network.name,
    authorize: (request) => authorize(deps, request),
    getAuthorization: (id) => getAuthorization(deps, id),
    capture: (request) => operate(deps, 'capture', request),
    void: (request) => operate(deps, 'void', request),
    refund: (request) => operate(deps, 'refund', request),
    answerChallenge: (id, code) => answerChallenge(deps, id, code),
    challengePage: (id) => challengePageInfo(deps, id),
    expireChallenges: (batchSize) => expireChallenges(deps, batchSize),
  };
}
