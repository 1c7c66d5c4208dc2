import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import {
  accountDelaySeconds,
  afterSourceAttempt,
  bucketParts,
  sourceBucket,
  sourcePrefix,
  sourceVerdict,
  type SourceState,
} from './throttle.ts';

const limits = loadConfig({ KINKO_ENV: 'test' }).limits.identity;

test('sources count per IPv4 /24 and IPv6 /64, IPv4-mapped addresses as IPv4', () => {
  assert.equal(sourcePrefix('203.0.113.77'), '203.0.113.0/24');
  assert.equal(sourcePrefix('::ffff:203.0.113.5'), '203.0.113.0/24');
  assert.equal(sourcePrefix('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(sourcePrefix('2001:0db8:0001:0002::ffff'), '2001:db8:1:2::/64');
  assert.equal(sourcePrefix('::1'), '0:0:0:0::/64');
});

test('account delays start after the free failures, double, and are capped', () => {
  const free = limits.loginFailuresFreeMax;
  assert.equal(accountDelaySeconds(free, limits), 0);
  assert.equal(accountDelaySeconds(free + 1, limits), limits.loginDelaySecondsBase);
  assert.equal(accountDelaySeconds(free + 2, limits), limits.loginDelaySecondsBase * 2);
  assert.equal(accountDelaySeconds(free + 60, limits), limits.loginDelaySecondsMax);
});

test('a source is slowed, then blocked once, within one window', () => {
  let state: SourceState | undefined;
  let blocks = 0;
  const t0 = 1_000_000;
  for (let i = 0; i < limits.sourceFailuresBlockAfter + 5; i++) {
    const next = afterSourceAttempt(state, t0 + i, limits, true);
    state = next.state;
    if (next.blockedNow) blocks += 1;
    if (i + 1 === limits.sourceFailuresSlowAfter)
      assert.equal(sourceVerdict(state, t0 + i).kind, 'slowed');
  }
  assert.equal(blocks, 1);
  assert.equal(sourceVerdict(state, t0 + 100).kind, 'blocked');
  assert.equal(sourceVerdict(state, t0 + limits.sourceBlockSeconds * 1000 + 1000).kind, 'allowed');
});

test("refused attempts count toward the block and leave a slowed source's next slot", () => {
  let state: SourceState | undefined;
  let blocks = 0;
  const t0 = 1_000_000;
  for (let i = 0; i < limits.sourceFailuresSlowAfter; i++) {
    state = afterSourceAttempt(state, t0, limits, true).state;
  }
  const slot = state?.nextAllowedAtMs;
  assert.equal(sourceVerdict(state, t0 + 1).kind, 'slowed');
  // A bot hammering while slowed is refused every time, and every refusal counts.
  for (let i = 0; i < limits.sourceFailuresBlockAfter; i++) {
    const next = afterSourceAttempt(state, t0 + 1, limits, false);
    state = next.state;
    if (next.blockedNow) blocks += 1;
    if (!next.blockedNow && blocks === 0) assert.equal(state.nextAllowedAtMs, slot);
  }
  assert.equal(blocks, 1, 'the hammering bot is blocked, once');
  assert.equal(sourceVerdict(state, t0 + 2).kind, 'blocked');
});

test('operator sign-in counts in a bucket of its own', () => {
  assert.equal(sourceBucket('customer', '203.0.113.9'), '203.0.113.0/24');
  assert.equal(sourceBucket('operator', '203.0.113.9'), 'operator:203.0.113.0/24');
  assert.deepEqual(bucketParts('operator:203.0.113.0/24'), {
    realm: 'operator',
    sourcePrefix: '203.0.113.0/24',
  });
  assert.deepEqual(bucketParts('203.0.113.0/24'), {
    realm: 'customer',
    sourcePrefix: '203.0.113.0/24',
  });
});
