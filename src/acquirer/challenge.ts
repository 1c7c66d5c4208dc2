import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { auditEntry, timed, toView, type AcquirerDeps, type Authorization } from './acquirer.ts';
import type { ChallengeAnswer } from './network.ts';
import * as store from './store.ts';
import { acquirerError } from './errors.ts';

// 3-D Secure challenges. The one-time code goes to the card network (its access control
// server) and is never stored. A challenge ends authenticated, failed (wrong code too often,
// or the network says no) or expired (abandoned); only an authenticated challenge can lead to
// an approved authorization, so a failed or abandoned one never charges the card.

export interface ChallengeResult {
  status: store.ChallengeStatus;
  attemptsLeft: number;
  authorization: Authorization;
}

export interface ChallengePageInfo {
  id: string;
  status: store.ChallengeStatus;
  notifyOrigin: string;
  frameOrigins: string[];
  amountMinor: bigint;
  currency: string;
  expiresAt: Date;
  /** The simulator's expected code, for development pages only. */
  devCode: string | undefined;
}

async function finish(
  deps: AcquirerDeps,
  tx: Tx,
  c: store.ChallengeRow,
  status: 'authenticated' | 'failed' | 'expired',
  authz: Partial<Pick<store.AuthorizationRow, 'status' | 'decline_code'>>,
): Promise<ChallengeResult> {
  const now = deps.clock.now();
  const done = await store.updateChallenge(tx, c.id, { status, finished_at: now });
  const a = await store.updateAuthorization(tx, c.authorization_id, { ...authz, updated_at: now });
  const ok = a.status === 'authorized';
  await deps.audit.append(tx, [
    { ...auditEntry(a, `acquirer.challenge.${status}`, ok ? 'success' : 'failure') },
  ]);
  return { status, attemptsLeft: 0, authorization: toView(a, done) };
}

async function expireIfLate(
  deps: AcquirerDeps,
  tx: Tx,
  c: store.ChallengeRow,
): Promise<ChallengeResult | undefined> {
  if (c.status !== 'pending' || c.expires_at.getTime() > deps.clock.nowMs()) return undefined;
  return finish(deps, tx, c, 'expired', { status: 'challenge_expired' });
}

async function current(
  deps: AcquirerDeps,
  tx: Tx,
  c: store.ChallengeRow,
): Promise<ChallengeResult> {
  const a = await store.authorizationById(tx, c.authorization_id);
  assert(a, 'challenge without authorization');
  const left = c.status === 'pending' ? deps.limits.acquirerChallengeAttemptsMax - c.attempts : 0;
  return { status: c.status, attemptsLeft: left, authorization: toView(a, c) };
}

async function abandon(
  deps: AcquirerDeps,
  challengeId: string,
  networkRef: string | null,
): Promise<void> {
  if (!networkRef) return;
  try {
    await timed(deps, 'abandonChallenge', (signal) =>
      deps.network.abandonChallenge(
        { idempotencyKey: `${challengeId}:abandon`, signal },
        { networkRef },
      ),
    );
  } catch (error) {
    // The hold was never approved, so nothing is charged either way; the network expires it.
    deps.log.warn(
      { challenge_id: challengeId, err: error },
      'could not tell the network a challenge ended',
    );
  }
}

/** The cardholder's answer: counts the attempt first, then asks the network. */
export async function answerChallenge(
  deps: AcquirerDeps,
  id: string,
  code: string,
): Promise<ChallengeResult> {
  const step = await deps.sql.begin(async (tx) => {
    const c = await store.challengeById(tx, id, true);
    if (!c) throw acquirerError('challenge_not_found');
    const expired = await expireIfLate(deps, tx, c);
    if (expired) return { done: expired, ref: null, justExpired: true };
    if (c.status !== 'pending') return { done: await current(deps, tx, c), ref: null };
    const counted = await store.updateChallenge(tx, id, { attempts: c.attempts + 1 });
    const a = await store.authorizationById(tx, c.authorization_id);
    return { done: undefined, ref: a?.network_ref ?? null, counted };
  });
  if (step.done) {
    if (step.justExpired) await abandon(deps, id, await networkRefOf(deps, step.done));
    return step.done;
  }
  assert(step.ref && step.counted, 'pending challenge without network reference');
  const counted = step.counted;
  const ref = step.ref;
  const answer = await timed(deps, 'completeChallenge', (signal) =>
    deps.network.completeChallenge(
      { idempotencyKey: `${id}:${counted.attempts}`, signal },
      { networkRef: ref, code },
    ),
  );
  const result = await deps.sql.begin((tx) => recordAnswer(deps, tx, id, answer));
  if (result.status === 'failed') await abandon(deps, id, ref);
  return result;
}

async function networkRefOf(deps: AcquirerDeps, r: ChallengeResult): Promise<string | null> {
  const a = await store.authorizationById(deps.sql, r.authorization.id);
  return a?.network_ref ?? null;
}

async function recordAnswer(
  deps: AcquirerDeps,
  tx: Tx,
  id: string,
  answer: ChallengeAnswer,
): Promise<ChallengeResult> {
  const c = await store.challengeById(tx, id, true);
  assert(c, 'challenge vanished');
  if (c.status !== 'pending') return current(deps, tx, c);
  switch (answer.outcome) {
    case 'approved':
      return finish(deps, tx, c, 'authenticated', { status: 'authorized' });
    case 'declined':
      return finish(deps, tx, c, 'authenticated', {
        status: 'declined',
        decline_code: answer.code,
      });
    case 'challenge_failed':
      return finish(deps, tx, c, 'failed', { status: 'challenge_failed' });
    case 'retry':
      if (c.attempts >= deps.limits.acquirerChallengeAttemptsMax) {
        return finish(deps, tx, c, 'failed', { status: 'challenge_failed' });
      }
      return current(deps, tx, c);
  }
}

/** Marks every pending challenge past its deadline as expired (abandoned); returns how many. */
export async function expireChallenges(deps: AcquirerDeps, batchSize = 100): Promise<number> {
  const ended = await deps.sql.begin(async (tx) => {
    const late = await store.expiredChallenges(tx, deps.clock.now(), batchSize);
    const out: Array<{ id: string; ref: string | null }> = [];
    for (const c of late) {
      const r = await finish(deps, tx, c, 'expired', { status: 'challenge_expired' });
      const a = await store.authorizationById(tx, r.authorization.id);
      out.push({ id: c.id, ref: a?.network_ref ?? null });
    }
    return out;
  });
  for (const e of ended) await abandon(deps, e.id, e.ref);
  return ended.length;
}

export async function challengePageInfo(
  deps: AcquirerDeps,
  id: string,
): Promise<ChallengePageInfo> {
  const { c, a, justExpired } = await deps.sql.begin(async (tx) => {
    const row = await store.challengeById(tx, id, true);
    if (!row) throw acquirerError('challenge_not_found');
    const expired = await expireIfLate(deps, tx, row);
    const latest = expired ? await store.challengeById(tx, id) : row;
    const auth = await store.authorizationById(tx, row.authorization_id);
    return { c: latest!, a: auth, justExpired: expired !== undefined };
  });
  assert(a, 'challenge without authorization');
  if (justExpired) await abandon(deps, id, a.network_ref);
  const pending = c.status === 'pending' && a.network_ref;
  return {
    id: c.id,
    status: c.status,
    notifyOrigin: c.notify_origin,
    frameOrigins: c.frame_origins,
    amountMinor: a.amount_minor,
    currency: a.currency,
    expiresAt: c.expires_at,
    devCode: pending ? deps.network.devChallengeCode?.(a.network_ref!) : undefined,
  };
}
