import { createHash } from 'node:crypto';
import type { Audit, AuditEntryInput } from '../audit/index.ts';
import { allSent, beginReading, type Sql, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import type { AuthorizeAnswer, CardNetwork, NetworkCard } from './network.ts';
import { NetworkUnreachableError } from './network.ts';
import * as store from './store.ts';
import { acquirerError } from './errors.ts';

// The acquirer service: every card network call under a timeout and the caller's idempotency
// key, its outcome recorded with an audit entry. The network is called outside any database
// transaction; the row claimed before the call makes a retry find the first attempt.

interface AcquirerLimits {
  acquirerCallTimeoutMs: number;
  acquirerChallengeSecondsMax: number;
  acquirerChallengeAttemptsMax: number;
}

export interface AcquirerDeps {
  sql: Sql;
  clock: Clock;
  audit: Pick<Audit, 'append' | 'appendStatement'>;
  network: CardNetwork;
  limits: AcquirerLimits;
  log: Logger;
}

interface ChallengeView {
  id: string;
  /** Path of the challenge page on Kinko's origin. */
  url: string;
  status: store.ChallengeStatus;
  expiresAt: Date;
}

export interface Authorization {
  id: string;
  attemptId: string;
  cardToken: string;
  amountMinor: bigint;
  currency: string;
  status: store.AuthorizationStatus;
  threeDs: 'frictionless' | 'challenge' | null;
  declineCode: string | null;
  capturedMinor: bigint;
  refundedMinor: bigint;
  challenge: ChallengeView | null;
}

export interface AuthorizeRequest {
  idempotencyKey: string;
  /** The payment (or verification) attempt this authorization belongs to. */
  attemptId: string;
  cardToken: string;
  card: NetworkCard;
  amountMinor: bigint;
  currency: string;
  /**
   * Where the challenge page reports its end (postMessage target) and who may frame it;
   * `required`: Kinko asks the issuer for a challenge (EMV 3-D Secure requestor challenge
   * indicator 04, "challenge requested: mandate"), as the risk engine's step_up does.
   */
  challenge: { notifyOrigin: string; frameOrigins: readonly string[]; required?: boolean };
}

function challengePath(id: string): string {
  return `/3ds/challenges/${id}`;
}

export function toView(
  a: store.AuthorizationRow,
  c: store.ChallengeRow | undefined,
): Authorization {
  return {
    id: a.id,
    attemptId: a.attempt_id,
    cardToken: a.card_token,
    amountMinor: a.amount_minor,
    currency: a.currency,
    status: a.status,
    threeDs: a.three_ds,
    declineCode: a.decline_code,
    capturedMinor: a.captured_minor,
    refundedMinor: a.refunded_minor,
    challenge: c
      ? { id: c.id, url: challengePath(c.id), status: c.status, expiresAt: c.expires_at }
      : null,
  };
}

/** Runs one network call with a deadline; maps transport failures to named codes. */
export async function timed<T>(
  deps: Pick<AcquirerDeps, 'limits' | 'log'>,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, deps.limits.acquirerCallTimeoutMs);
  try {
    return await fn(controller.signal);
  } catch (error) {
    if (timedOut) {
      deps.log.warn(
        { call: what, timeout_ms: deps.limits.acquirerCallTimeoutMs },
        'card network timeout',
      );
      throw acquirerError('acquirer_timeout');
    }
    if (error instanceof NetworkUnreachableError) {
      deps.log.warn({ call: what }, 'card network unreachable');
      throw acquirerError('acquirer_unreachable');
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function digestOf(r: AuthorizeRequest): Buffer {
  const fields = [r.attemptId, r.cardToken, r.amountMinor.toString(), r.currency];
  return createHash('sha256').update(JSON.stringify(fields)).digest();
}

function auditEntry(
  a: store.AuthorizationRow,
  action: string,
  outcome: AuditEntryInput['outcome'],
): AuditEntryInput {
  return {
    action,
    actor: { type: 'system', id: 'acquirer' },
    subject: { type: 'authorization', id: a.id },
    outcome,
    detail: {
      attempt_id: a.attempt_id,
      card_token: a.card_token,
      amount_minor: a.amount_minor,
      currency: a.currency,
      status: a.status,
      three_ds: a.three_ds,
      decline_code: a.decline_code,
    },
  };
}

export async function authorize(deps: AcquirerDeps, req: AuthorizeRequest): Promise<Authorization> {
  assert(req.amountMinor >= 0n, 'authorization amount must not be negative');
  const now = deps.clock.now();
  const digest = digestOf(req);
  const { row } = await store.claimAuthorization(deps.sql, {
    id: publicId('authz', 16),
    idempotency_key: req.idempotencyKey,
    request_digest: digest,
    attempt_id: req.attemptId,
    card_token: req.cardToken,
    amount_minor: req.amountMinor,
    currency: req.currency,
    created_at: now,
  });
  if (!row.request_digest.equals(digest)) throw acquirerError('acquirer_idempotency_key_reused');
  if (row.status !== 'pending') {
    return toView(row, await store.challengeByAuthorization(deps.sql, row.id));
  }
  // Pending: either new, or an earlier call whose answer never came. Either way the network
  // gets the same idempotency key, so it answers the first call's outcome, never a second hold.
  const answer = await timed(deps, 'authorize', (signal) =>
    deps.network.authorize(
      { idempotencyKey: req.idempotencyKey, signal },
      {
        card: req.card,
        amountMinor: req.amountMinor,
        currency: req.currency,
        challengeRequired: req.challenge.required === true,
      },
    ),
  );
  try {
    const { view, written } = await beginReading(
      deps.sql,
      (tx) => store.authorizationById(tx, row.id, true),
      async (tx, locked) => recordAuthorize(deps, tx, locked, req, answer),
    );
    await written;
    return view;
  } catch (error) {
    if (error !== NOT_PENDING) throw error;
    // A retry recorded the answer first: answer what it recorded.
    return getAuthorization(deps, row.id);
  }
}

/** Thrown (and caught) to roll back a recording that found the authorization recorded. */
const NOT_PENDING = new Error('authorization no longer pending');

/**
 * Records the network's answer under the row's lock (its read went out with BEGIN): one
 * statement moves the row and writes its audit entry (and a challenge's row beside it),
 * sent unawaited so that COMMIT follows in the same round trip; two round trips in all.
 * `written` settles when they are done: if they failed, COMMIT rolled the transaction back,
 * and awaiting it throws. A concurrent retry that recorded first left the row not pending:
 * nothing is written, and NOT_PENDING is thrown.
 */
async function recordAuthorize(
  deps: AcquirerDeps,
  tx: Tx,
  claimed: store.AuthorizationRow | undefined,
  req: AuthorizeRequest,
  answer: AuthorizeAnswer,
): Promise<{ view: Authorization; written: Promise<unknown> }> {
  if (!claimed || claimed.status !== 'pending') throw NOT_PENDING;
  const now = deps.clock.now();
  const set: store.AuthorizationUpdate =
    answer.outcome === 'approved'
      ? { status: 'authorized', three_ds: answer.threeDs, network_ref: answer.networkRef }
      : answer.outcome === 'declined'
        ? {
            status: answer.code === 'processing_error' ? 'failed' : 'declined',
            decline_code: answer.code,
            network_ref: answer.networkRef,
          }
        : { status: 'requires_challenge', three_ds: 'challenge', network_ref: answer.networkRef };
  const ok = set.status === 'authorized' || set.status === 'requires_challenge';
  // What the row will hold: the locked row, pending, with the answer set.
  const row: store.AuthorizationRow = { ...claimed, ...set, updated_at: now };
  const entry = auditEntry(row, `acquirer.authorization.${set.status}`, ok ? 'success' : 'failure');
  const sent: Promise<unknown>[] = [
    store.recordAuthorization(
      tx,
      claimed.id,
      { ...set, updated_at: now },
      deps.audit.appendStatement(tx, [entry]),
    ),
  ];
  let challenge: store.ChallengeRow | undefined;
  if (row.status === 'requires_challenge') {
    challenge = {
      id: publicId('3dsc', 18),
      authorization_id: row.id,
      status: 'pending',
      attempts: 0,
      notify_origin: req.challenge.notifyOrigin,
      frame_origins: [...req.challenge.frameOrigins],
      created_at: now,
      expires_at: new Date(now.getTime() + deps.limits.acquirerChallengeSecondsMax * 1000),
      finished_at: null,
    };
    sent.push(store.insertChallenge(tx, challenge));
  }
  const written = allSent(sent);
  // Observed at once, so a failure is not reported as unhandled before it is awaited.
  written.catch(() => undefined);
  return { view: toView(row, challenge), written };
}

export async function getAuthorization(
  deps: Pick<AcquirerDeps, 'sql'>,
  id: string,
): Promise<Authorization> {
  const row = await store.authorizationById(deps.sql, id);
  if (!row) throw acquirerError('authorization_not_found');
  return toView(row, await store.challengeByAuthorization(deps.sql, id));
}

export { auditEntry };
