import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePaymentCode } from '../src/codes/index.ts';
import {
  balanceOf,
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// A register batch's writes leave with its COMMIT, unawaited (redeem.ts, withLastWrites):
// safe only while every one of them is a single statement sent before COMMIT. A write sent
// once another answered (an append that tells the SIEM export, a chained insert) would leave
// after COMMIT and run, and commit, on its own. The driver's statement log of a batch's
// connection holds them to account: between a batch's COMMIT and that connection's next
// BEGIN, no statement writes a table the batch writes.

const BATCH_TABLES =
  /\b(insert into|update|copy)\s+"?(payments_|audit_entries|risk_|outbox_events|ledger_)/i;

interface Debuggable {
  options: { debug?: ((conn: number, text: string) => void) | false | undefined };
}

test("a register batch's writes are all sent before its COMMIT", async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const options = (p.db.sql as unknown as Debuggable).options;
    const log: { conn: number; text: string }[] = [];
    options.debug = (conn, text) => log.push({ conn, text: text.replace(/\s+/g, ' ').trim() });
    // Payments only, then with a refusal: no SIEM export is on here, so the refusal's
    // audit entry (a security event) needs no hook and its writes leave with COMMIT too.
    const paid = await Promise.all(
      [await issueCode(p, u), await issueCode(p, u)].map((c) => registerPay(p, c, 100)),
    );
    assert.deepEqual(
      paid.map((a) => a.statusCode),
      [200, 200],
      paid.map((a) => a.body).join('\n'),
    );
    const mixed = await Promise.all([
      registerPay(p, await issueCode(p, u), 100),
      registerPay(p, generatePaymentCode(), 100),
    ]);
    options.debug = false;
    assert.equal(mixed[0]!.statusCode, 200, mixed[0]!.body);
    assert.equal(mixed[1]!.json().error?.code, 'code_invalid');
    assert.equal(await balanceOf(p, u), String(5000 - 3 * 100));
    let batches = 0;
    const afterCommit = new Map<number, boolean>();
    for (const { conn, text } of log) {
      if (/^begin\b/i.test(text)) afterCommit.set(conn, false);
      if (/^commit\b/i.test(text)) {
        afterCommit.set(conn, true);
        continue;
      }
      if (/insert into payments_payments/i.test(text)) batches += 1;
      if (afterCommit.get(conn) && BATCH_TABLES.test(text)) {
        assert.fail(`sent after COMMIT, outside the transaction: ${text.slice(0, 120)}`);
      }
    }
    assert.ok(batches >= 2, 'batches wrote payments');
  } finally {
    await p.close();
  }
});

test('a batch of more audit entries than one INSERT holds still leaves with its COMMIT', async () => {
  // 80 wrong codes in one batch: 80 refusals, each stored and audited. Past 64 entries the
  // append is several INSERTs sent before COMMIT, never a COPY (which would need the
  // connection to itself, so an awaited round trip before COMMIT).
  const n = 80;
  const p = await payPlatform({
    env: {
      KINKO_PAYMENTS_BATCH_WINDOW_MS: '300',
      KINKO_PAYMENTS_GUESS_FAILURES_PER_TERMINAL_MAX: '1000',
      KINKO_PAYMENTS_GUESS_FAILURES_PER_MERCHANT_MAX: '1000',
    },
  });
  try {
    const options = (p.db.sql as unknown as Debuggable).options;
    const log: { conn: number; text: string }[] = [];
    options.debug = (conn, text) => log.push({ conn, text: text.replace(/\s+/g, ' ').trim() });
    const before = p.payments.batcherStats().batches;
    const answers = await Promise.all(
      Array.from({ length: n }, () => registerPay(p, generatePaymentCode(), 100)),
    );
    options.debug = false;
    assert.ok(answers.every((a) => a.json().error?.code === 'code_invalid'));
    assert.equal(p.payments.batcherStats().batches - before, 1, 'one batch');
    assert.ok(!log.some(({ text }) => /^copy audit_entries/i.test(text)), 'no COPY');
    // The batch's own connection: the one that stored the answers.
    const batch = log.find(({ text }) => /^insert into payments_idempotency/i.test(text))!.conn;
    const inserts = log.filter(
      ({ conn, text }) => conn === batch && /^insert into audit_entries/i.test(text),
    );
    assert.equal(inserts.length, Math.ceil(n / 64));
    const rows = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from audit_entries where action = 'payments.code_payment.refused'`;
    assert.equal(rows[0]?.n, n, 'every refusal audited');
  } finally {
    await p.close();
  }
});
