import type { Authorization, AuthorizeRequest } from './acquirer.ts';
import type { ChallengePageInfo, ChallengeResult } from './challenge.ts';
import type { OperationRequest, OperationResult } from './operations.ts';

// What the acquirer module offers the rest of Kinko: createAcquirer (index.ts) builds it, and
// the routes take it as a parameter from here, so no file of the module imports index.ts.

export interface Acquirer {
  readonly networkName: string;
  /** Authorizes (amount 0: verifies) a card; may answer requires_challenge. */
  authorize(request: AuthorizeRequest): Promise<Authorization>;
  getAuthorization(id: string): Promise<Authorization>;
  capture(request: OperationRequest): Promise<OperationResult>;
  void(request: OperationRequest): Promise<OperationResult>;
  refund(request: OperationRequest): Promise<OperationResult>;
  answerChallenge(challengeId: string, code: string): Promise<ChallengeResult>;
  challengePage(challengeId: string): Promise<ChallengePageInfo>;
  /** Ends abandoned challenges (past their deadline) without a charge; returns how many. */
  expireChallenges(batchSize?: number): Promise<number>;
}
