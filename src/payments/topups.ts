import type { Authorization } from '../acquirer/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import { allSent, beginReading, withLastWrites, type Tx } from '../db/index.ts';
import { refusalOf } from '../risk/index.ts';
import { accountIdFor } from './accounts.ts';
import {
  clearing,
  enqueueReceipts,
  ensureAccounts,
  entry,
  WALLET_CURRENCY,
  type PaymentsDeps,
  type Source,
} from './context.ts';
import { transferIdFor, TRANSFER_CODES } from './ids.ts';
import * as store from './store.ts';
import { holdTopup } from './topup-reviews.ts';
import { paymentsError } from './errors.ts';

// Top-ups: the card is charged first, outside any transaction; the wallet is credited
// (card_clearing → customer_wallet) only after the charge succeeded. Every step is keyed by
// the top-up id — the acquirer's idempotency keys `<id>:authorize` / `<id>:capture`, the
// ledger transfer id derived from it — so a retry (or resume after a 3-D Secure challenge)
// can neither charge nor credit twice.
//
// Steps and their compensation:
//   1. record the top-up (processing) and reserve its amount in the limits — compensation:
//      fail(), which gives the reserved amount back.
//   2. authorize the card (may need 3-D Secure) — declined, 3-D Secure failed, timed out:
//      fail(); nothing was captured, so an uncaptured hold lapses at the card network.
//   3. capture — a timeout leaves the top-up `processing`: the capture may have happened,
//      so it is never failed blindly; resume retries it under the same key.
//   4. credit the wallet, mark succeeded, audit and receipt in one transaction.
// A `review` decision stops after step 1: the top-up is recorded `held` with its review
// (topup-reviews.ts) and nothing is charged; an analyst's approval continues at step 2.

export interface Customer {
  customerId: string;
  deviceId: string | null;
  strongAuthAtMs: number | null;
}

interface TopupView {
  id: string;
  object: 'topup';
  status: store.TopupRow['status'];
  amount: string;
  currency: string;
  card_token: string;
  challenge_url?: string;
  failure_code: string | null;
  risk: { decision: string; reasons: string[] };
  created_at: string;
}

export function topupView(t: store.TopupRow, challengeUrl?: string): TopupView {
  return {
    id: t.id,
    object: 'topup',
    status: t.status,
    amount: t.amount_minor.toString(),
    currency: t.currency,
    card_token: t.card_token,
    ...(challengeUrl ? { challenge_url: challengeUrl } : {}),
    failure_code: t.failure_code,
    risk: { decision: t.risk_decision, reasons: t.risk_reasons },
    created_at: t.created_at.toISOString(),
  };
}

function newTopupRow(
  who: Customer,
  input: { amount: bigint; currency: string; cardToken: string },
  assessment: {
    decision: store.TopupRow['risk_decision'];
    reasons: store.TopupRow['risk_reasons'];
  },
  now: Date,
): store.TopupRow {
  const id = publicId('tu', 16);
  return {
    id,
    customer_id: who.customerId,
    device_id: who.deviceId,
    card_token: input.cardToken,
    amount_minor: input.amount,
    currency: input.currency,
    status: 'processing',
    authorization_id: null,
    failure_code: null,
    transfer_id: transferIdFor('topup', id),
    risk_decision: assessment.decision,
    risk_reasons: assessment.reasons,
    created_at: now,
    updated_at: now,
  };
}

export async function createTopup(
  deps: PaymentsDeps,
  who: Customer,
  input: { amount: bigint; currency: string; cardToken: string },
  source: Source,
): Promise<TopupView> {
  if (input.currency !== WALLET_CURRENCY) throw paymentsError('currency_unsupported');
  // The switches that need no card refuse before anything is written (a new customer's
  // ledger accounts, next); one by card brand or issuer range, once the vault's record of
  // the card is read, in the transaction, still before the top-up is written.
  deps.switches.refuse({ operation: 'topups', ...who, source: source.ip });
  await ensureAccounts(deps, [{ kind: 'customer_wallet', owner: who.customerId }, clearing]);
  const now = deps.clock.now();
  const reads = (tx: Tx) => readUnderLock(deps, tx, who, input, source);
  const topup = await beginReading(deps.sql, reads, async (tx, assessment) => {
    const fresh =
      who.strongAuthAtMs !== null &&
      now.getTime() - who.strongAuthAtMs <= deps.limits.riskStepUpSecondsMax * 1000;
    const refusal = refusalOf(assessment, fresh);
    if (refusal) {
      await deps.risk.recordRefusal(assessment);
      throw refusal;
    }
    const row = newTopupRow(who, input, assessment, now);
    const id = row.id;
    if (assessment.decision === 'review') row.status = 'held';
    // Sent together (PostgreSQL runs them in this order), one round trip for all; all
    // settle before COMMIT or ROLLBACK, which then follows whatever each sends.
    await allSent([
      store.insertTopup(tx, row),
      deps.risk.recordUsage(tx, who.customerId, 'topup', input.amount),
      deps.risk.record(tx, [{ a: assessment, subjectId: id }]),
      deps.audit.append(tx, [
        entry('payments.topup.created', actorOf(who.customerId), subjectOf(id), source, {
          amount: input.amount.toString(),
          currency: input.currency,
          risk_decision: assessment.decision,
          risk_reasons: assessment.reasons,
        }),
      ]),
    ]);
    if (row.status === 'held') await holdTopup(deps, tx, row, assessment, source);
    return row;
  });
  if (topup.status === 'held') return topupView(topup);
  const authz = await authorizeCard(deps, topup, source);
  return settle(deps, topup, authz, source);
}

/**
 * What a top-up is decided on, read in its transaction before anything is written. The
 * customer's lock goes out with BEGIN, the card's link, the vault's record of it and the
 * customer's facts right behind (PostgreSQL runs them in order, under the lock): one round
 * trip. Then, in this order, the card must be the customer's and the kill switches must let
 * it pass (checked once: a top-up past them when a switch goes on finishes, or is
 * compensated, like every other; the vault's record gives the BIN a switch by issuer range
 * matches); then the risk decision, whose reads are the second round trip.
 */
async function readUnderLock(
  deps: PaymentsDeps,
  tx: Tx,
  who: Customer,
  input: { amount: bigint; currency: string; cardToken: string },
  source: Source,
) {
  const token = input.cardToken;
  const [, linked, vaulted, facts] = await allSent([
    deps.risk.lockCustomer(tx, who.customerId),
    store.cardOf(tx, token),
    // Its failure (a token the vault does not know) is thrown only if the card is linked.
    deps.vault.getCard(token, tx).then(
      (c) => () => c,
      (e: unknown) => () => {
        throw e;
      },
    ),
    deps.identity.customerFacts(tx, [who.customerId]),
  ]);
  if (!linked || linked.customer_id !== who.customerId) {
    throw paymentsError('card_not_linked', { param: 'card_token' });
  }
  const card = vaulted();
  deps.switches.refuse({ operation: 'topups', ...who, source: source.ip, card });
  const [account] = facts;
  if (!account) throw paymentsError('wallet_unavailable');
  return deps.risk.assess(
    {
      kind: 'topup',
      customerId: who.customerId,
      deviceId: who.deviceId ?? undefined,
      cardToken: token,
      sourceIp: source.ip,
      amount: input.amount,
      currency: input.currency,
      account,
      frozen: account.frozen,
    },
    tx,
  );
}

const actorOf = (customerId: string) => ({ type: 'customer' as const, id: customerId });
const subjectOf = (id: string) => ({ type: 'topup', id });

async function authorizeCard(
  deps: PaymentsDeps,
  t: store.TopupRow,
  source: Source,
): Promise<Authorization> {
  try {
    return await deps.vault.authorize({
      token: t.card_token,
      amountMinor: t.amount_minor,
      currency: t.currency,
      attemptId: t.id,
      idempotencyKey: `${t.id}:authorize`,
      challenge: { notifyOrigin: deps.publicOrigin, frameOrigins: [deps.publicOrigin] },
      actor: { type: 'customer', id: t.customer_id },
      source,
    });
  } catch (error) {
    // Compensation of step 1: nothing was captured; give the reserved limit back.
    const code = error instanceof KinkoError ? error.code : 'authorization_error';
    await fail(deps, t, code, source);
    throw error;
  }
}

/** After a 3-D Secure challenge, or a capture that did not answer: finish the top-up. */
export async function resumeTopup(
  deps: PaymentsDeps,
  customerId: string,
  id: string,
  source: Source,
): Promise<TopupView> {
  const t = await store.topupById(deps.sql, id);
  if (!t || t.customer_id !== customerId) throw paymentsError('topup_not_found');
  // A held top-up waits for its review: only an analyst's approval charges the card.
  if (t.status === 'held') return topupView(t);
  return continueTopup(deps, t, source);
}

/** Steps 2–4 of a top-up not yet finished (resumed, or released by a review's approval). */
export async function continueTopup(
  deps: PaymentsDeps,
  t: store.TopupRow,
  source: Source,
): Promise<TopupView> {
  assert(t.status !== 'held', `top-up ${t.id} is held for review`);
  if (t.status === 'succeeded' || t.status === 'failed') return topupView(t);
  if (!t.authorization_id) return settle(deps, t, await authorizeCard(deps, t, source), source);
  let authz = await deps.acquirer.getAuthorization(t.authorization_id);
  const expired = authz.challenge && authz.challenge.expiresAt.getTime() <= deps.clock.nowMs();
  if (authz.status === 'requires_challenge' && expired) {
    await deps.acquirer.expireChallenges();
    authz = await deps.acquirer.getAuthorization(t.authorization_id);
  }
  if (authz.status === 'requires_challenge') throw paymentsError('topup_challenge_pending');
  return settle(deps, t, authz, source);
}

async function settle(
  deps: PaymentsDeps,
  t: store.TopupRow,
  authz: Authorization,
  source: Source,
): Promise<TopupView> {
  switch (authz.status) {
    case 'requires_challenge': {
      assert(authz.challenge, 'a challenge authorization has its challenge');
      const now = deps.clock.now();
      const set = { status: 'requires_action' as const, authorization_id: authz.id };
      await store.updateTopup(deps.sql, t.id, { ...set, updated_at: now });
      const url = new URL(authz.challenge.url, deps.publicOrigin).toString();
      return topupView({ ...t, ...set }, url);
    }
    case 'authorized':
      return capture(deps, t, authz, source);
    case 'captured':
    case 'refunded':
      return credit(deps, t, authz.id, source);
    case 'challenge_failed':
    case 'challenge_expired':
      await fail(deps, t, 'three_ds_failed', source, authz.id);
      throw paymentsError('topup_three_ds_failed', { extra: { topup_id: t.id } });
    case 'declined':
    case 'failed':
    case 'voided':
      await fail(deps, t, authz.declineCode ?? 'card_declined', source, authz.id);
      throw paymentsError('topup_declined', {
        extra: { topup_id: t.id, decline_code: authz.declineCode ?? 'card_declined' },
      });
    case 'pending':
      throw paymentsError('topup_charge_unconfirmed', { extra: { topup_id: t.id } });
  }
}

async function capture(
  deps: PaymentsDeps,
  t: store.TopupRow,
  authz: Authorization,
  source: Source,
): Promise<TopupView> {
  await store.updateTopup(deps.sql, t.id, {
    authorization_id: authz.id,
    updated_at: deps.clock.now(),
  });
  let result;
  try {
    result = await deps.acquirer.capture({
      idempotencyKey: `${t.id}:capture`,
      authorizationId: authz.id,
      amountMinor: t.amount_minor,
    });
  } catch (error) {
    // The capture may have happened without its answer: stay processing, resume later.
    if (error instanceof KinkoError && error.code.startsWith('acquirer_')) {
      throw paymentsError('topup_charge_unconfirmed', { extra: { topup_id: t.id } });
    }
    throw error;
  }
  if (result.status !== 'succeeded') {
    await fail(deps, t, result.failureCode ?? 'capture_failed', source, authz.id);
    throw paymentsError('topup_declined', {
      extra: { topup_id: t.id, decline_code: result.failureCode ?? 'capture_failed' },
    });
  }
  return credit(deps, t, authz.id, source);
}

/**
 * Step 4: the charge succeeded; credit the wallet exactly once. Every top-up's credit debits
 * the one card-clearing account, so its ledger lock is taken last: the top-up's row, its
 * receipts and its audit entry go out first, the ledger's lock right behind them in the same
 * round trip, and the ledger's write leaves with COMMIT. The account is locked for that
 * write and COMMIT only, never while Node waits for the other statements' answers.
 */
async function credit(
  deps: PaymentsDeps,
  t: store.TopupRow,
  authorizationId: string,
  source: Source,
): Promise<TopupView> {
  // The top-up's row, locked, goes out with BEGIN; the credit is written once it answered.
  const locked = (tx: Tx) => store.topupById(tx, t.id, true);
  return withLastWrites((writes) =>
    beginReading(deps.sql, locked, async (tx, row) => {
      assert(row, 'top-up row exists');
      if (row.status === 'succeeded') return topupView(row);
      const now = deps.clock.now();
      const set = { status: 'succeeded' as const, authorization_id: authorizationId };
      // Sent together (PostgreSQL runs them in this order); all settle before COMMIT or
      // ROLLBACK. The ledger answers once its accounts are locked and hands its write out
      // unawaited (writesInto): a refusal throws here, before COMMIT, and rolls all back.
      const [, , , [result]] = await allSent([
        store.updateTopup(tx, row.id, { ...set, updated_at: now }),
        enqueueReceipts(deps, tx, 'topup', [row.id]),
        deps.audit.append(tx, [
          entry('payments.topup.succeeded', actorOf(row.customer_id), subjectOf(row.id), source, {
            amount: row.amount_minor.toString(),
            transfer_id: row.transfer_id,
            authorization_id: authorizationId,
          }),
        ]),
        deps.ledger.createTransfersInTx(tx, [creditTransfer(row)], {
          actor: { type: 'system', id: 'payments' },
          source,
          writesInto: writes,
        }),
      ]);
      assert(
        result?.result === 'ok' || result?.result === 'exists',
        `top-up credit ${row.id}: ${result?.result}`,
      );
      return topupView({ ...row, ...set });
    }),
  );
}

/** The credit of a top-up: card_clearing → the customer's wallet, its id from the top-up's. */
function creditTransfer(row: store.TopupRow) {
  return {
    id: row.transfer_id,
    debitAccountId: accountIdFor('card_clearing', clearing.owner, row.currency),
    creditAccountId: accountIdFor('customer_wallet', row.customer_id, row.currency),
    amount: row.amount_minor,
    currency: row.currency,
    code: TRANSFER_CODES.topup,
    userData: `topup:${row.id}`,
  };
}

/** Compensation: the top-up failed; nothing is credited and its limit use is given back. */
async function fail(
  deps: PaymentsDeps,
  t: store.TopupRow,
  code: string,
  source: Source,
  authorizationId?: string,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    const row = await store.topupById(tx, t.id, true);
    if (!row || row.status === 'succeeded' || row.status === 'failed') return;
    await store.updateTopup(tx, row.id, {
      status: 'failed',
      failure_code: code.slice(0, 100),
      ...(authorizationId ? { authorization_id: authorizationId } : {}),
      updated_at: deps.clock.now(),
    });
    await deps.risk.recordUsage(tx, row.customer_id, 'topup', -row.amount_minor);
    await deps.audit.append(tx, [
      entry(
        'payments.topup.failed',
        actorOf(row.customer_id),
        subjectOf(row.id),
        source,
        { failure_code: code, amount: row.amount_minor.toString() },
        'failure',
      ),
    ]);
  });
}
