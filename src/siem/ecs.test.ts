import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ECS_VERSION,
  isSecurityEvent,
  octetFrame,
  SIEM_HTTPS_TOPIC,
  SIEM_SYSLOG_TOPIC,
  syslogMessage,
  toEcs,
  type EcsEvent,
} from './index.ts';

const meta = { id: '00000000-0000-4000-8000-000000000001', at: new Date(0), version: '1.2.3' };

test('security events are chosen by action, actor and outcome', () => {
  const e = (action: string, type: 'system' | 'operator' = 'system', outcome = 'success') =>
    isSecurityEvent({ action, actor: { type }, outcome: outcome as 'success' | 'denied' });
  assert.ok(e('identity.login.failed'));
  assert.ok(e('vault.card.decrypted'));
  assert.ok(e('incidents.incident.opened'));
  assert.ok(!e('ledger.transfer.created'));
  assert.ok(!e('merchants.api_key.used'));
  assert.ok(e('payments.topup.created', 'operator'), 'anything an operator does');
  assert.ok(e('payments.topup.created', 'system', 'denied'), 'anything refused');
  assert.deepEqual([SIEM_SYSLOG_TOPIC, SIEM_HTTPS_TOPIC], ['siem.syslog', 'siem.https']);
});

test('ECS form scrubs the detail and the syslog frame counts bytes', () => {
  const ecs: EcsEvent = toEcs(
    {
      action: 'identity.stuffing.detected',
      actor: { type: 'system' },
      outcome: 'success',
      detail: { note: 'card 4242 4242 4242 4242 seen', token: 'abc' },
    },
    { ...meta, hostname: 'häst' },
  );
  assert.equal(ecs.ecs.version, ECS_VERSION);
  assert.equal(ecs.event.kind, 'alert');
  assert.deepEqual(ecs.event.category, ['intrusion_detection']);
  assert.doesNotMatch(JSON.stringify(ecs), /4242 4242 4242 4242/);
  const message = syslogMessage(ecs, 7);
  assert.match(
    message,
    /^<109>1 1970-01-01T00:00:00.000Z h_st kinko 7 identity.stuffing.detected /,
  );
  const frame = octetFrame(message);
  const space = frame.indexOf(0x20);
  assert.equal(Number(frame.subarray(0, space).toString()), frame.length - space - 1);
});
