import { assert } from '../lib/assert.ts';
import { runVoid, claimCancel } from './cancel.ts';
import { runAuthorize, syncChallenge } from './confirm.ts';
import { runCapture } from './capture.ts';
import { lockUntil, systemCaller, type WebPaymentsDeps } from './context.ts';
import { runRefund } from './refunds.ts';
import * as store from './store.ts';

// The reconcile job (run every few seconds by main.ts): it finishes what a request could not.
// - processing payments whose call lost its answer or whose process died: the same call
//   again, under the same idempotency key;
// - payments waiting on a 3-D Secure challenge: how it ended (so the merchant's webhook
//   arrives without polling); an abandoned one ends at its deadline, never charged;
// - approved authorizations past their validity, held for review or not: voided, the
//   payment canceled (expired), a review closed;
// - payments canceled during a challenge that later ended approved: that hold is voided;
// - refunds whose acquirer answer never came.

export interface ReconcileResult {
  payments: number;
  refunds: number;
  failed: number;
}

export async function reconcile(d: WebPaymentsDeps): Promise<ReconcileResult> {
  const now = d.clock.now();
  const batch = d.limits.reconcileBatchSizeMax;
  const out: ReconcileResult = { payments: 0, refunds: 0, failed: 0 };
  for (const row of await store.openPayments(d.sql, now, batch)) {
    try {
      await reconcilePayment(d, row.id);
      out.payments += 1;
    } catch (error) {
      out.failed += 1;
      d.log.error({ err: error, payment_id: row.id }, 'web payment reconcile failed');
    }
  }
  for (const row of await store.pendingRefunds(d.sql, now, batch)) {
    try {
      await runRefund(d, systemCaller(row), row.id);
      out.refunds += 1;
    } catch (error) {
      out.failed += 1;
      d.log.error({ err: error, refund_id: row.id }, 'web refund reconcile failed');
    }
  }
  return out;
}

type Next = 'authorize' | 'capture' | 'void' | 'sync' | 'release' | 'none';

async function reconcilePayment(d: WebPaymentsDeps, id: string): Promise<void> {
  const claimed = await d.sql.begin(async (tx) => {
    const p = await store.paymentById(tx, id);
    assert(p, 'payment vanished');
    const nowMs = d.clock.nowMs();
    if (p.release_hold) return { next: 'release' as Next, p };
    if (p.status === 'requires_action') return { next: 'sync' as Next, p };
    const expired = (p.authorization_expires_at?.getTime() ?? Infinity) <= nowMs;
    const held = p.status === 'requires_capture' || p.status === 'requires_review';
    if (held && expired) {
      return { next: 'void' as Next, p: await claimCancel(d, tx, systemCaller(p), p, 'expired') };
    }
    const free = p.locked_until === null || p.locked_until.getTime() <= nowMs;
    if (p.status !== 'processing' || !free || !p.step) return { next: 'none' as Next, p };
    const locked = await store.updatePayment(
      tx,
      p.id,
      { locked_until: lockUntil(d) },
      d.clock.now(),
    );
    return { next: p.step as Next, p: locked };
  });
  const who = systemCaller(claimed.p);
  switch (claimed.next) {
    case 'authorize':
      return void (await runAuthorize(d, who, claimed.p));
    case 'capture':
      return void (await runCapture(d, who, claimed.p));
    case 'void':
      return void (await runVoid(d, who, claimed.p));
    case 'sync':
      return void (await syncChallenge(d, who, claimed.p));
    case 'release':
      return releaseHold(d, claimed.p);
    case 'none':
      return;
  }
}

/** A payment canceled during its challenge: void the hold if the challenge ended approved. */
async function releaseHold(d: WebPaymentsDeps, p: store.PaymentRow): Promise<void> {
  assert(p.authorization_id, 'release_hold without an authorization');
  let a = await d.acquirer.getAuthorization(p.authorization_id);
  const late = a.challenge && a.challenge.expiresAt.getTime() <= d.clock.nowMs();
  if (a.status === 'requires_challenge' && late) {
    await d.acquirer.expireChallenges();
    a = await d.acquirer.getAuthorization(p.authorization_id);
  }
  // Still open: the cardholder may yet answer; look again on the next run.
  if (a.status === 'requires_challenge') return;
  let voided = false;
  if (a.status === 'authorized') {
    const r = await d.acquirer.void({ idempotencyKey: `${p.id}:release`, authorizationId: a.id });
    voided = r.status === 'succeeded';
  }
  await d.sql.begin(async (tx) => {
    await store.updatePayment(tx, p.id, { release_hold: false }, d.clock.now());
    await d.audit.append(tx, [
      {
        action: 'payments_web.payment.hold_released',
        actor: systemCaller(p).actor,
        subject: { type: 'payment', id: p.id },
        outcome: 'success',
        detail: { authorization_status: a.status, voided },
      },
    ]);
  });
}
