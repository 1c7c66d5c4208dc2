import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, SENSITIVE_ACTIONS, STEP_UP_POLICY } from './policy.ts';

const base = {
  nowMs: 1_000_000_000,
  strongAuthAtMs: 1_000_000_000 - 60_000,
  factors: ['totp'] as const,
  deviceConfirmed: true,
  moneyHoldUntilMs: null,
  frozen: false,
};

test('every sensitive action needs a confirmed device and recent strong authentication', () => {
  for (const action of SENSITIVE_ACTIONS) {
    assert.equal(STEP_UP_POLICY[action].strongAuth, true, action);
    assert.equal(
      decide(action, { ...base, deviceConfirmed: false }, 300).kind,
      'device_required',
      action,
    );
    assert.equal(
      decide(action, { ...base, strongAuthAtMs: null }, 300).kind,
      'step_up_required',
      action,
    );
    assert.equal(
      decide(action, { ...base, strongAuthAtMs: base.nowMs - 301_000 }, 300).kind,
      'step_up_required',
    );
    assert.equal(decide(action, { ...base, frozen: true }, 300).kind, 'frozen');
    assert.equal(decide(action, base, 300).kind, 'allow', action);
  }
});

test('money movement needs a device proof and waits out a hold; credentials do not', () => {
  const held = { ...base, moneyHoldUntilMs: base.nowMs + 1000 };
  for (const action of ['topup', 'payment_code', 'card_link'] as const) {
    assert.deepEqual(decide(action, base, 300), { kind: 'allow', deviceProof: true });
    assert.equal(decide(action, held, 300).kind, 'held');
  }
  assert.deepEqual(decide('email_change', held, 300), { kind: 'allow', deviceProof: false });
});

test(
  'without a factor, only the first enrolment and signing out everywhere are allowed, ' +
    'from a confirmed device',
  () => {
    const none = { ...base, factors: [] as const, strongAuthAtMs: null };
    assert.equal(decide('topup', none, 300).kind, 'second_factor_required');
    for (const action of ['factor_change', 'sign_out_everywhere'] as const) {
      assert.equal(decide(action, none, 300).kind, 'allow', action);
      assert.equal(
        decide(action, { ...none, deviceConfirmed: false }, 300).kind,
        'device_required',
        action,
      );
    }
  },
);
