import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntryInput } from '../src/audit/index.ts';
import { syslogReceiver, type SyslogReceiver } from './helpers/syslog-receiver.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// Security events leave as ECS JSON in RFC 5424 messages, octet-counted, over a real TCP
// socket to a collector on 127.0.0.1: in order, only the security-relevant ones, from the
// outbox, so a collector that is down loses nothing and one that fails mid-batch gets the
// batch again with the same event ids.

let receiver: SyslogReceiver;
let p: TestPlatform;
before(async () => {
  receiver = await syslogReceiver();
  p = await testPlatform({
    env: { KINKO_SIEM_SYSLOG_URL: `tcp://127.0.0.1:${receiver.port}`, KINKO_SIEM_POLL_MS: '50' },
  });
});
after(async () => {
  await p.close();
  await receiver.stop();
});

const RFC5424 =
  /^<(\d{1,3})>1 (\S+) (\S+) kinko (\d+) (\S{1,32}) \[origin software="kinko" swVersion="[^"]+"\] (\{.*\})$/;

interface Parsed {
  pri: number;
  msgId: string;
  ecs: {
    '@timestamp': string;
    ecs: { version: string };
    event: { id: string; action: string; outcome: string; category: string[]; kind: string };
    user?: { id: string };
    source?: { ip: string };
    kinko: { detail: Record<string, unknown> };
  };
}

function parse(message: string): Parsed {
  const m = RFC5424.exec(message);
  assert.ok(m, `RFC 5424 with ECS JSON: ${message.slice(0, 200)}`);
  return { pri: Number(m[1]), msgId: m[5]!, ecs: JSON.parse(m[6]!) as Parsed['ecs'] };
}

async function append(entries: AuditEntryInput[]) {
  await p.db.sql.begin((tx) => p.modules.audit.append(tx, entries));
}

const failedLogin = (n: number): AuditEntryInput => ({
  action: 'identity.login.failed',
  actor: { type: 'customer', id: `cus_${n}` },
  source: { ip: '203.0.113.7', requestId: `req_${n}` },
  outcome: 'failure',
  detail: { attempt: n, password: 'hunter2' },
});

test('a real failed sign-in and audited security events arrive in order as ECS', async () => {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/login',
    payload: { identifier: 'nobody@example.com', password: 'wrong password 123' },
  });
  assert.equal(res.statusCode, 401, res.body);
  await append([
    failedLogin(1),
    { action: 'ledger.transfer.created', actor: { type: 'system' }, outcome: 'success' },
    { action: 'vault.card.decrypted', actor: { type: 'system' }, outcome: 'success' },
    failedLogin(2),
  ]);
  const sent = await p.modules.siem.exportOnce();
  assert.equal(sent, 4);
  const got = receiver.messages.map(parse);
  assert.deepEqual(
    got.map((g) => g.ecs.event.action),
    [
      'identity.login.failed',
      'identity.login.failed',
      'vault.card.decrypted',
      'identity.login.failed',
    ],
  );
  const [, first, , second] = got;
  assert.equal(first!.pri, 13 * 8 + 4, 'facility log audit, warning for a failure');
  assert.equal(first!.msgId, 'identity.login.failed');
  assert.equal(first!.ecs.ecs.version, '8.11.0');
  assert.deepEqual(first!.ecs.event.category, ['authentication']);
  assert.equal(first!.ecs.event.outcome, 'failure');
  assert.equal(first!.ecs.user?.id, 'cus_1');
  assert.equal(first!.ecs.source?.ip, '203.0.113.7');
  assert.equal(first!.ecs.kinko.detail['password'], '[redacted]');
  assert.match(first!.ecs.event.id, /^[0-9a-f-]{36}$/);
  assert.notEqual(first!.ecs.event.id, second!.ecs.event.id);
  assert.equal(await p.modules.siem.exportOnce(), 0, 'nothing is sent twice');
});

test('a collector that resets mid-batch gets the batch again with the same event ids', async () => {
  receiver.messages.length = 0;
  await append([failedLogin(3), failedLogin(4)]);
  receiver.resetNext = true;
  await assert.rejects(p.modules.siem.exportOnce());
  assert.equal(receiver.messages.length, 0);
  assert.equal(await p.modules.siem.exportOnce(), 2);
  const ids = receiver.messages.map((m) => parse(m).ecs.event.id);
  const firstTry = receiver.readBeforeReset.map((m) => parse(m).ecs.event.id);
  assert.equal(ids.length, 2);
  assert.deepEqual(ids, firstTry, 'the same events, the same ids');
  const details = receiver.messages.map((m) => parse(m).ecs.kinko.detail['attempt']);
  assert.deepEqual(details, [3, 4]);
});

test('while the collector is down events wait; delivery resumes after it restarts', async () => {
  receiver.messages.length = 0;
  const stop = p.modules.siem.startWorker();
  try {
    await receiver.stop();
    for (let n = 10; n < 15; n++) await append([failedLogin(n)]);
    await new Promise((r) => setTimeout(r, 300));
    const [waiting] = (await p.modules.outbox.stats()).filter((s) => s.topic === 'siem.syslog');
    assert.equal(waiting?.ready, 5, 'kept in the outbox, no attempt counted');
    await receiver.restart();
    const deadline = Date.now() + 10_000;
    while (receiver.messages.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const attempts = receiver.messages.map((m) => parse(m).ecs.kinko.detail['attempt']);
    assert.deepEqual(attempts, [10, 11, 12, 13, 14]);
  } finally {
    await stop();
  }
  const logged = p.logs.lines.filter((l) => l.includes('SIEM collector unreachable'));
  assert.equal(logged.length, 1, 'one warning per outage, not one per poll');
});
