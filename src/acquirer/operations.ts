import { beginReading, type Db, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import { auditEntry, timed, toView, type AcquirerDeps, type Authorization } from './acquirer.ts';
import type { OperationAnswer } from './network.ts';
import * as store from './store.ts';
import { acquirerError } from './errors.ts';

// Capture, void and refund: each under the caller's idempotency key. The state check happens
// before the network call and again, under the row lock, when the answer is recorded.

type OperationKind = 'capture' | 'void' | 'refund';

export interface OperationRequest {
  idempotencyKey: string;
  authorizationId: string;
  /** Capture and refund amounts; a void releases the whole hold. */
  amountMinor?: bigint;
}

export interface OperationResult {
  id: string;
  kind: OperationKind;
  status: 'succeeded' | 'failed';
  failureCode: string | null;
  authorization: Authorization;
}

function check(kind: OperationKind, a: store.AuthorizationRow, amount: bigint): void {
  if (kind === 'capture' || kind === 'void') {
    if (a.status !== 'authorized') throw acquirerError('authorization_not_capturable');
    if (kind === 'capture' && (amount <= 0n || amount > a.amount_minor)) {
      throw acquirerError('amount_exceeds_authorization', { param: 'amount' });
    }
    return;
  }
  if (a.status !== 'captured' && a.status !== 'refunded')
    throw acquirerError('authorization_not_refundable');
  if (amount <= 0n || a.refunded_minor + amount > a.captured_minor) {
    throw acquirerError('authorization_not_refundable', { param: 'amount' });
  }
}

export async function operate(
  deps: AcquirerDeps,
  kind: OperationKind,
  req: OperationRequest,
): Promise<OperationResult> {
  const { a, amount, row, created } = await readAndClaim(deps, kind, req);
  if (row.kind !== kind || row.authorization_id !== a.id || row.amount_minor !== amount) {
    throw acquirerError('acquirer_idempotency_key_reused');
  }
  if (row.status !== 'pending') return result(row, await fresh(deps, a.id));
  if (created) {
    try {
      check(kind, a, amount);
    } catch (error) {
      await deps.sql.begin((tx) =>
        store.finishOperation(tx, row.id, {
          status: 'failed',
          network_ref: null,
          failure_code: (error as KinkoError).code,
          at: deps.clock.now(),
        }),
      );
      throw error;
    }
  }
  assert(a.network_ref, 'authorized without a network reference');
  const ref = a.network_ref;
  const call = { idempotencyKey: req.idempotencyKey };
  const answer = await timed(deps, kind, (signal): Promise<OperationAnswer> => {
    if (kind === 'capture')
      return deps.network.capture({ ...call, signal }, { networkRef: ref, amountMinor: amount });
    if (kind === 'void') return deps.network.void({ ...call, signal }, { networkRef: ref });
    return deps.network.refund({ ...call, signal }, { networkRef: ref, amountMinor: amount });
  });
  const { result: done, written } = await beginReading(
    deps.sql,
    (tx) => recordReads(tx, row),
    (tx, read) => record(deps, tx, row, answer, read),
  );
  await written;
  return done;
}

/**
 * The authorization, and the operation claimed under the caller's key. When the amount does
 * not come from the authorization (a capture or refund of a stated amount), the claim goes
 * out behind the read on one connection, one round trip for both: the read runs first, and
 * a claim for an authorization that does not exist fails on its foreign key, answered as
 * not found like the read.
 */
async function readAndClaim(deps: AcquirerDeps, kind: OperationKind, req: OperationRequest) {
  const claim = (db: Db, amount: bigint) =>
    store.claimOperation(db, {
      id: publicId('acqop', 16),
      idempotency_key: req.idempotencyKey,
      authorization_id: req.authorizationId,
      kind,
      amount_minor: amount,
      at: deps.clock.now(),
    });
  const stated = kind === 'void' ? undefined : req.amountMinor;
  if (stated === undefined) {
    const a = await store.authorizationById(deps.sql, req.authorizationId);
    if (!a) throw acquirerError('authorization_not_found');
    return { a, amount: a.amount_minor, ...(await claim(deps.sql, a.amount_minor)) };
  }
  const reserved = await deps.sql.reserve();
  try {
    const [read, claimed] = await Promise.allSettled([
      store.authorizationById(reserved, req.authorizationId),
      claim(reserved, stated),
    ]);
    if (read.status === 'rejected') throw read.reason;
    if (!read.value) throw acquirerError('authorization_not_found');
    if (claimed.status === 'rejected') throw claimed.reason;
    return { a: read.value, amount: stated, ...claimed.value };
  } finally {
    reserved.release();
  }
}

async function fresh(deps: AcquirerDeps, id: string): Promise<Authorization> {
  const a = await store.authorizationById(deps.sql, id);
  assert(a, 'authorization vanished');
  return toView(a, await store.challengeByAuthorization(deps.sql, id));
}

function result(op: store.OperationRow, authorization: Authorization): OperationResult {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status === 'succeeded' ? 'succeeded' : 'failed',
    failureCode: op.failure_code,
    authorization,
  };
}

/**
 * The rows an answer is recorded under, locked: sent in this order (the authorization's
 * lock first, as every path takes it) with BEGIN, in one round trip.
 */
function recordReads(tx: Tx, op: store.OperationRow) {
  return Promise.all([
    store.authorizationById(tx, op.authorization_id, true),
    store.challengeByAuthorization(tx, op.authorization_id),
    store.operationById(tx, op.id, true),
  ]);
}

/**
 * Records the network's answer under the rows' locks (recordReads, which went out with
 * BEGIN), and a success's writes (one statement: both rows and the audit entry, made by
 * appendStatement) are sent unawaited, so COMMIT follows them in the same round trip: two
 * round trips, where one per statement made eight. `written` settles when the writes are
 * done; if they failed, COMMIT rolled the transaction back, and awaiting it throws.
 */
async function record(
  deps: AcquirerDeps,
  tx: Tx,
  op: store.OperationRow,
  answer: OperationAnswer,
  [a, mine, locked]: Awaited<ReturnType<typeof recordReads>>,
): Promise<{ result: OperationResult; written: Promise<unknown> }> {
  assert(a, 'authorization vanished');
  const now = deps.clock.now();
  if (locked && locked.status !== 'pending') {
    return { result: result(locked, toView(a, mine)), written: Promise.resolve() };
  }
  let written: Promise<unknown>;
  let view: { op: store.OperationRow; a: store.AuthorizationRow };
  if (answer.outcome === 'failed') {
    const finish = { status: 'failed' as const, network_ref: null, failure_code: answer.code };
    view = { op: { ...op, ...finish }, a };
    // Awaited: append may send more than its INSERT (the SIEM export enqueues in the
    // transaction), so COMMIT must wait for it.
    await store.finishOperation(tx, op.id, { ...finish, at: now });
    await deps.audit.append(tx, [auditEntry(a, `acquirer.${op.kind}.failed`, 'failure')]);
    written = Promise.resolve();
  } else {
    const set =
      op.kind === 'capture'
        ? { status: 'captured' as const, captured_minor: a.captured_minor + op.amount_minor }
        : op.kind === 'void'
          ? { status: 'voided' as const }
          : { status: 'refunded' as const, refunded_minor: a.refunded_minor + op.amount_minor };
    const updated = { ...a, ...set, updated_at: now };
    const finish = {
      status: 'succeeded' as const,
      network_ref: answer.networkRef,
      failure_code: null,
    };
    view = { op: { ...op, ...finish }, a: updated };
    const entry = {
      ...auditEntry(updated, `acquirer.${op.kind}.succeeded`, 'success'),
      detail: { operation_id: op.id, amount_minor: op.amount_minor, status: updated.status },
    };
    written = store.recordOperation(
      tx,
      { id: a.id, ...set, updated_at: now },
      { id: op.id, ...finish, at: now },
      deps.audit.appendStatement(tx, [entry]),
    );
  }
  // Observed at once, so a failure is not reported as unhandled before it is awaited.
  written.catch(() => undefined);
  return { result: result(view.op, toView(view.a, mine)), written };
}
