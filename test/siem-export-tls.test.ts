import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import selfsigned from 'selfsigned';
import type { AuditEntryInput } from '../src/audit/index.ts';
import { syslogReceiver, type SyslogReceiver } from './helpers/syslog-receiver.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// The SIEM export's encrypted paths, against real collectors on 127.0.0.1 whose certificate
// chains only to a CA given in the settings: syslog over TLS (RFC 5425) and HTTPS. Events
// arrive when the collector is the one configured; a collector presenting another
// certificate (an interceptor) gets nothing and the events wait in the outbox; an HTTPS
// collector that answers an error or a redirect gets the batch again, never elsewhere.

interface Keys {
  key: string;
  cert: string;
}

async function keysFor127(): Promise<Keys> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'siem.test' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

interface HttpsCollector {
  port: number;
  bodies: Array<{ auth: string | undefined; type: string | undefined; lines: string[] }>;
  /** Status codes to answer next, in order (200 once empty). */
  answers: number[];
  stop(): Promise<void>;
}

async function httpsCollector(keys: Keys): Promise<HttpsCollector> {
  const c: HttpsCollector = { port: 0, bodies: [], answers: [], stop: async () => undefined };
  const server = https.createServer(keys, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const status = c.answers.shift() ?? 200;
      if (status === 200) {
        c.bodies.push({
          auth: req.headers['authorization'],
          type: req.headers['content-type'],
          lines: Buffer.concat(chunks).toString('utf8').trim().split('\n'),
        });
      }
      if (status === 307) res.setHeader('location', 'https://127.0.0.1:1/elsewhere');
      res.writeHead(status).end();
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (typeof a === 'object' && a) c.port = a.port;
  c.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return c;
}

const failedLogin = (n: number): AuditEntryInput => ({
  action: 'identity.login.failed',
  actor: { type: 'customer', id: `cus_${n}` },
  source: { ip: '203.0.113.7', requestId: `req_${n}` },
  outcome: 'failure',
  detail: { attempt: n },
});

let dir: string;
let trusted: Keys;
let syslog: SyslogReceiver;
let collector: HttpsCollector;
let p: TestPlatform;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-siem-tls-'));
  trusted = await keysFor127();
  fs.writeFileSync(path.join(dir, 'ca.pem'), trusted.cert);
  syslog = await syslogReceiver(0, trusted);
  collector = await httpsCollector(trusted);
  p = await testPlatform({
    env: {
      KINKO_SIEM_SYSLOG_URL: `tls://127.0.0.1:${syslog.port}`,
      KINKO_SIEM_SYSLOG_CA_FILE: path.join(dir, 'ca.pem'),
      KINKO_SIEM_HTTPS_URL: `https://127.0.0.1:${collector.port}/ingest`,
      KINKO_SIEM_HTTPS_CA_FILE: path.join(dir, 'ca.pem'),
      KINKO_SIEM_HTTPS_TOKEN: 'siem-token-for-tests',
    },
  });
});
after(async () => {
  await p.close();
  await syslog.stop();
  await collector.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function append(entries: AuditEntryInput[]) {
  await p.db.sql.begin((tx) => p.modules.audit.append(tx, entries));
}

const attempts = (lines: string[]) =>
  lines.map(
    (l) =>
      (JSON.parse(l.slice(l.indexOf('{'))) as { kinko: { detail: { attempt: number } } }).kinko
        .detail.attempt,
  );

test('both collectors behind the configured CA receive the events, in order', async () => {
  await append([failedLogin(1), failedLogin(2)]);
  assert.equal(await p.modules.siem.exportOnce(), 4, 'two events on each channel');
  assert.deepEqual(attempts(syslog.messages), [1, 2]);
  assert.equal(collector.bodies.length, 1);
  const [batch] = collector.bodies;
  assert.equal(batch!.auth, 'Bearer siem-token-for-tests');
  assert.equal(batch!.type, 'application/x-ndjson');
  assert.deepEqual(attempts(batch!.lines), [1, 2]);
  assert.equal(await p.modules.siem.exportOnce(), 0, 'nothing twice');
});

test('an HTTPS error or redirect fails the batch; it is sent again whole, never elsewhere', async () => {
  collector.bodies.length = 0;
  syslog.messages.length = 0;
  await append([failedLogin(3)]);
  collector.answers.push(503, 307);
  await assert.rejects(p.modules.siem.exportOnce(), /answered 503/);
  await assert.rejects(p.modules.siem.exportOnce(), /answered 307/);
  assert.equal(collector.bodies.length, 0);
  await p.modules.siem.exportOnce();
  assert.deepEqual(attempts(collector.bodies.flatMap((b) => b.lines)), [3]);
  assert.deepEqual(attempts(syslog.messages), [3], 'syslog got it once');
});

test('a collector with a certificate the CA did not sign gets nothing; events wait', async () => {
  const intruder = await keysFor127();
  const fakeSyslog = await syslogReceiver(0, intruder);
  const fakeHttps = await httpsCollector(intruder);
  const q = await testPlatform({
    env: {
      KINKO_SIEM_SYSLOG_URL: `tls://127.0.0.1:${fakeSyslog.port}`,
      KINKO_SIEM_SYSLOG_CA_FILE: path.join(dir, 'ca.pem'),
      KINKO_SIEM_HTTPS_URL: `https://127.0.0.1:${fakeHttps.port}/ingest`,
      KINKO_SIEM_HTTPS_CA_FILE: path.join(dir, 'ca.pem'),
    },
  });
  try {
    await q.db.sql.begin((tx) => q.modules.audit.append(tx, [failedLogin(9)]));
    await assert.rejects(q.modules.siem.exportOnce(), /certificate|self.signed|verify/i);
    assert.equal(fakeSyslog.messages.length, 0);
    assert.equal(fakeHttps.bodies.length, 0);
    const waiting = (await q.modules.outbox.stats()).filter((s) => s.topic.startsWith('siem.'));
    assert.deepEqual(waiting.map((w) => [w.topic, w.ready]).sort(), [
      ['siem.https', 1],
      ['siem.syslog', 1],
    ]);
  } finally {
    await q.close();
    await fakeSyslog.stop();
    await fakeHttps.stop();
  }
});
