import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// An outbox topic nobody consumes never drains: vault.card.created and vault.card.deleted
// left one pending row per card for ever, so a backlog alert could never clear. Every topic
// written anywhere in src/ must be consumed by an outbox worker that the background jobs
// (main.ts) start; and after a day of business — cards, top-ups, payments, refunds — one
// pass of every consumer leaves nothing pending.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = sources(path.join(root, 'src')).map((f) => ({
  file: path.relative(root, f),
  text: fs.readFileSync(f, 'utf8'),
}));

/** Topic constants (`export const X_TOPIC = 'a.b'`) by name. */
const constants = new Map(
  files.flatMap(({ text }) =>
    [...text.matchAll(/export const ([A-Z_]+TOPIC) = '([a-z0-9_.]+)'/g)].map((m) => [m[1]!, m[2]!]),
  ),
);
const resolve = (token: string, where: string): string => {
  const literal = /^'([a-z0-9_.]+)'$/.exec(token);
  if (literal) return literal[1]!;
  const value = constants.get(token);
  assert.ok(value, `${where}: topic ${token} is neither a literal nor a *_TOPIC constant`);
  return value;
};

test('every outbox topic written anywhere has a consumer the background jobs start', () => {
  const written = new Map<string, string>();
  for (const { file, text } of files) {
    // `{ topic: X, key: …, payload: … }`: an event handed to outbox.enqueue.
    for (const m of text.matchAll(/\btopic: ([A-Z_]+TOPIC|'[^']*')/g)) {
      written.set(resolve(m[1]!, file), file);
    }
  }
  const consumed = new Map<string, string>();
  for (const { file, text } of files) {
    for (const m of text.matchAll(/runWorker\(\{\s*topics: \[([^\]]*)\]/g)) {
      for (const t of m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        consumed.set(resolve(t, file), file);
      }
    }
    // A topic drained in order by one process at a time (the SIEM export).
    for (const m of text.matchAll(/drainInOrder\(([A-Z_]+TOPIC|'[^']*')/g)) {
      consumed.set(resolve(m[1]!, file), file);
    }
  }
  assert.ok(written.size >= 3, `found the topics written: ${[...written.keys()].join(', ')}`);
  const orphans = [...written].filter(([t]) => !consumed.has(t)).map(([t, f]) => `${t} (${f})`);
  assert.deepEqual(orphans, [], 'topics written but never consumed');

  // The workers holding those consumers are started with the background jobs.
  const main = files.find((f) => f.file === path.join('src', 'main.ts'))!.text;
  const background = main.slice(main.indexOf('function startBackground('));
  const starts = ['startNotifications(', 'webhooks.startWorker(', 'startReceiptsWorker('];
  for (const start of [...starts, 'siem.startWorker(']) {
    assert.ok(background.includes(start), `startBackground runs ${start}…)`);
  }
  assert.ok(main.includes('notifyWorker('), 'startNotifications runs the notify worker');
});

test('after cards, top-ups, payments and refunds, one pass of every consumer drains the outbox', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const paid = await registerPay(p, await issueCode(p, u), 1200);
    assert.equal(paid.statusCode, 200, paid.body);
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${paid.json().id}/refunds`,
      headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
      payload: { amount: 200 },
    });
    assert.equal(refund.statusCode, 200, refund.body);
    await p.payments.sendReceiptsOnce(); // receipts → notices and webhook events
    await p.mailbox(u.email); // the notify consumer
    await p.modules.webhooks.runOnce(); // the webhook fan-out consumer
    const stats = await p.modules.outbox.stats();
    const backlog = stats.filter((s) => s.ready + s.leased + s.waiting + s.dead > 0);
    assert.deepEqual(backlog, [], 'nothing left pending in any topic');
  } finally {
    await p.close();
  }
});
