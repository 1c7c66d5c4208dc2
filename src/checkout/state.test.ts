import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIONS,
  afterAuthorization,
  canTransition,
  checkAction,
  eventFor,
  outcomeOf,
  PAYMENT_STATUSES,
  TRANSITIONS,
  type PaymentState,
} from './state.ts';
import { transferIdFor } from './transfers.ts';
import { createdRange } from '../http/index.ts';

// The web payment state machine, without a database.

const state = (over: Partial<PaymentState>): PaymentState => ({
  status: 'requires_confirmation',
  step: null,
  lockedUntilMs: null,
  hasPaymentMethod: true,
  ...over,
});

test('succeeded and canceled are final; nothing returns to the start', () => {
  assert.deepEqual(TRANSITIONS.succeeded, []);
  assert.deepEqual(TRANSITIONS.canceled, []);
  for (const to of PAYMENT_STATUSES) {
    assert.equal(canTransition('succeeded', to) || canTransition('canceled', to), false);
  }
  assert.equal(
    canTransition('requires_capture', 'succeeded'),
    false,
    'capture goes via processing',
  );
  assert.equal(canTransition('requires_confirmation', 'succeeded'), false);
  assert.equal(canTransition('requires_action', 'succeeded'), false);
});

test('actions start only where the table allows, with the current status named', () => {
  for (const [action, rule] of Object.entries(ACTIONS)) {
    for (const status of PAYMENT_STATUSES) {
      if (status === 'processing' || (action === 'confirm' && status === 'requires_payment_method'))
        continue;
      const r = checkAction(action as keyof typeof ACTIONS, state({ status }), 0);
      assert.equal(r.ok, rule.from.includes(status), `${action} from ${status}`);
    }
  }
  assert.deepEqual(checkAction('confirm', state({ status: 'requires_payment_method' }), 0), {
    ok: false,
    code: 'payment_method_missing',
  });
});

test('processing resumes only the same step, and only once the running call let go', () => {
  const capturing = state({ status: 'processing', step: 'capture', lockedUntilMs: 2000 });
  assert.deepEqual(checkAction('capture', capturing, 1000), {
    ok: false,
    code: 'payment_in_progress',
  });
  assert.deepEqual(checkAction('capture', capturing, 2000), { ok: true, resume: 'capture' });
  assert.equal(checkAction('cancel', capturing, 3000).ok, false, 'no void over a capture');
  assert.equal(checkAction('refund', capturing, 3000).ok, false);
  const voiding = state({ status: 'processing', step: 'void', lockedUntilMs: null });
  assert.equal(checkAction('capture', voiding, 0).ok, false, 'no capture over a void');
  assert.deepEqual(checkAction('cancel', voiding, 0), { ok: true, resume: 'void' });
});

test('only an approved authorization leads toward a charge', () => {
  const all = [
    'pending',
    'requires_challenge',
    'authorized',
    'declined',
    'failed',
    'challenge_failed',
    'challenge_expired',
    'captured',
    'voided',
    'refunded',
  ];
  for (const status of all) {
    for (const method of ['automatic', 'manual'] as const) {
      const o = outcomeOf({ status, declineCode: 'x', challengeUrl: 'https://k/3ds/c' });
      const next = afterAuthorization(method, o);
      const charges =
        next.status === 'requires_capture' || ('step' in next && next.step === 'capture');
      assert.equal(charges, status === 'authorized', `${status} (${method})`);
    }
  }
  const failed = afterAuthorization(
    'automatic',
    outcomeOf({
      status: 'challenge_expired',
      declineCode: null,
      challengeUrl: null,
    }),
  );
  assert.equal(failed.status, 'requires_payment_method');
});

test('webhook events follow transitions', () => {
  assert.equal(eventFor('processing', 'succeeded'), 'payment.succeeded');
  assert.equal(eventFor('processing', 'requires_action'), 'payment.requires_action');
  assert.equal(eventFor('requires_action', 'requires_payment_method'), 'payment.payment_failed');
  assert.equal(eventFor('processing', 'requires_capture'), 'payment.amount_capturable_updated');
  assert.equal(eventFor('requires_capture', 'processing'), undefined);
  assert.equal(eventFor('processing', 'processing'), undefined);
});

test('transfer ids are stable per (source, step) and differ between steps', () => {
  assert.equal(transferIdFor('pay_a', 'authorize'), transferIdFor('pay_a', 'authorize'));
  assert.notEqual(transferIdFor('pay_a', 'authorize'), transferIdFor('pay_a', 'capture'));
  assert.match(transferIdFor('ref_a', 'refund'), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-/);
});

test('created[gt|gte|lt|lte] become one half-open range', () => {
  assert.deepEqual(createdRange({ gt: 10, gte: 5, lte: 20, lt: 30 }), {
    from: new Date(11_000),
    to: new Date(21_000),
  });
  assert.deepEqual(createdRange({}), {});
});
