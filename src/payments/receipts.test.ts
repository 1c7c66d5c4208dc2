import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
  type PayPlatform,
} from '../../test/helpers/payments-platform.ts';
import { RECEIPT_TOPIC } from './context.ts';
import { ReceiptTooEarly } from './receipts.ts';

// Receipts are sent a claimed batch at a time: the batch must send exactly what one event
// at a time sent (the same notices to the same people, each freeze link freezing its own
// account, the same webhook events), a repeated batch must send nothing, and a poison event
// must fail alone while the rest of its batch is delivered.

const TABLES = {
  topup: 'payments_topups',
  payment: 'payments_payments',
  refund: 'payments_refunds',
} as const;

/** Marks every receipt unsent; returns their events, top-ups, payments, refund. */
async function unsend(p: PayPlatform): Promise<{ kind: string; id: string }[]> {
  const payloads = [];
  for (const [kind, table] of Object.entries(TABLES)) {
    const rows = await p.db.sql<{ id: string }[]>`
      update ${p.db.sql(table)} set receipt_sent_at = null returning id`;
    const ids = rows.map((r) => r.id).sort();
    payloads.push(...ids.map((id) => ({ kind, id })));
  }
  return payloads;
}

/** Three customers top up and pay; the first gets a partial refund: 7 receipts. */
async function story(p: PayPlatform) {
  const users = [];
  for (const n of [1, 2, 3]) {
    const u = await walletUser(p, n);
    await fundWallet(p, u, 5000 + n);
    const paid = await registerPay(p, await issueCode(p, u), 1000 + n);
    assert.equal(paid.statusCode, 200, paid.body);
    users.push({ ...u, paymentId: paid.json().id as string });
  }
  const refund = await p.app.inject({
    method: 'POST',
    url: `/v1/code_payments/${users[0]!.paymentId}/refunds`,
    headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
    payload: { amount: 300 },
  });
  assert.equal(refund.json().status, 'succeeded', refund.body);
  // The helpers already sent these receipts while reading the mailbox: start again.
  return { users, payloads: await unsend(p) };
}

/** Where the outbox and the webhook events stand now: what comes after is new. */
interface Mark {
  outbox: bigint;
  event: bigint;
}

/** Runs the receipts worker until no receipt event is ready or leased, then stops it. */
async function runReceiptsWorker(p: PayPlatform): Promise<void> {
  const stop = p.payments.startReceiptsWorker({ pollMs: 10 });
  for (;;) {
    const s = (await p.outbox.stats()).find((x) => x.topic === RECEIPT_TOPIC);
    if (!s || (s.ready === 0 && s.leased === 0)) break;
    await sleep(10);
  }
  await stop();
}

async function lastOutboxId(p: PayPlatform): Promise<Mark> {
  const [row] = await p.db.sql<{ id: bigint | null; seq: bigint | null }[]>`
    select (select max(id) from outbox_events) as id,
           (select max(seq) from webhooks_events) as seq`;
  return { outbox: row?.id ?? 0n, event: row?.seq ?? 0n };
}

const TOKEN_RE = /#token=([A-Za-z0-9_-]+)/;

interface Sent {
  notices: { channel: string; to: string; subject: string; text: string }[];
  webhooks: { merchant: string; type: string; body: { data: { object: { id: string } } } }[];
}

/**
 * What receipts sent after outbox event `after`, in order: notices (each freeze token
 * replaced by the email of the account it freezes) and webhook events (without their ids).
 */
async function sent(p: PayPlatform, after: Mark): Promise<Sent> {
  const notices = [];
  // A receipt's email and SMS are one notify event (a bundle of messages).
  const bundles = await p.db.sql<{ payload: { messages: Sent['notices'] } }[]>`
    select payload from outbox_events where topic = 'notify.message' and id > ${after.outbox}
    order by id`;
  for (const payload of bundles.flatMap((b) => b.payload.messages)) {
    const token = TOKEN_RE.exec(payload.text)?.[1] ?? '';
    const [owner] = await p.db.sql<{ email: string }[]>`
      select c.email from identity_freeze_tokens f
      join identity_customers c on c.id = f.customer_id
      where f.token_hash = sha256(convert_to(${token}, 'UTF8')) and f.used_at is null`;
    assert.ok(owner, 'every freeze link is minted');
    notices.push({ ...payload, text: payload.text.replace(token, `<${owner.email}>`) });
  }
  // Receipts fan their webhook events out at once: each is fanned out, with no outbox event.
  const hooks = await p.db.sql<
    { merchant_id: string; type: string; body: string; fanned_out: boolean }[]
  >`
    select merchant_id, type, body, fanned_out_at is not null as fanned_out
    from webhooks_events where seq > ${after.event} order by seq`;
  assert.ok(
    hooks.every((h) => h.fanned_out),
    'receipts fan their webhook events out at once',
  );
  const webhooks = hooks.map((h) => {
    const body = JSON.parse(h.body) as Sent['webhooks'][number]['body'] & { id?: string };
    return { merchant: h.merchant_id, type: h.type, body: { ...body, id: undefined } };
  });
  return { notices, webhooks };
}

test('a batch of receipts sends what one event at a time sends; again, nothing', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const { users, payloads } = await story(p);
  assert.deepEqual(
    payloads.map((x) => x.kind),
    ['topup', 'topup', 'topup', 'payment', 'payment', 'payment', 'refund'],
  );

  const before = await lastOutboxId(p);
  // A repeated event within the batch is sent once, as it would be one at a time.
  await p.payments.sendReceipts([...payloads, payloads[4]!]);
  const batch = await sent(p, before);
  assert.equal(batch.notices.length, 14, 'an email and an SMS per receipt');
  // The notices of up to 8 receipts share one notify event (a bundle).
  const bundles = await p.db.sql<{ payload: { messages: { text: string }[] } }[]>`
    select payload from outbox_events
    where topic = 'notify.message' and id > ${before.outbox} order by id`;
  assert.deepEqual(
    bundles.map((b) => b.payload.messages.length),
    [14],
    'seven receipts, one notify event',
  );
  // A receipt's email and SMS carry its one freeze link.
  const tokens = bundles[0]!.payload.messages.map((m) => TOKEN_RE.exec(m.text)?.[1]);
  for (let i = 0; i < tokens.length; i += 2) {
    assert.ok(tokens[i] && tokens[i] === tokens[i + 1], 'one freeze link per receipt');
  }
  assert.equal(new Set(tokens).size, 7, 'a freeze link of its own per receipt');
  for (const n of batch.notices) {
    const owner = users.find((u) => u.email === n.to || u.phone === n.to);
    assert.ok(owner, `notice to ${n.to}`);
    assert.ok(n.text.includes(`<${owner.email}>`), 'each freeze link freezes its own account');
  }
  assert.deepEqual(
    batch.webhooks.map((w) => [w.type, w.body.data.object.id]),
    payloads
      .filter((x) => x.kind !== 'topup')
      .map((x) => [x.kind === 'refund' ? 'code_payment.refunded' : 'code_payment.succeeded', x.id]),
  );
  assert.deepEqual(
    users.map((u) => u.paymentId).sort(),
    payloads.filter((x) => x.kind === 'payment').map((x) => x.id),
  );

  const again = await lastOutboxId(p);
  await p.payments.sendReceipts(payloads);
  await p.payments.sendReceipts([...payloads, ...payloads]);
  assert.deepEqual(await lastOutboxId(p), again, 'a repeated batch is a no-op');

  // The same events once more, one at a time, from scratch.
  await unsend(p);
  for (const payload of payloads) await p.payments.sendReceipts([payload]);
  assert.deepEqual(await sent(p, again), batch);
});

test('receipts worker: a poison event fails alone, the rest of its batch is sent', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const { payloads } = await story(p);
  const before = await lastOutboxId(p);
  const [poison] = await p.db.sql.begin((tx) =>
    p.outbox.enqueue(tx, [
      { topic: RECEIPT_TOPIC, payload: { kind: 'payment' } },
      ...payloads.map((payload) => ({ topic: RECEIPT_TOPIC, payload })),
      // A repeated delivery of a receipt event: sent once only.
      { topic: RECEIPT_TOPIC, payload: payloads[4]! },
    ]),
  );
  await runReceiptsWorker(p);
  // Delivered events are deleted: only the poison one is left, waiting for its retry.
  const rows = await p.db.sql<{ id: bigint; attempts: number; error: string | null }[]>`
    select id, attempts, last_error as error
    from outbox_events where topic = ${RECEIPT_TOPIC} and id > ${before.outbox} order by id`;
  assert.deepEqual(
    rows.map((r) => [r.id, r.attempts]),
    [[poison, 1]],
  );
  assert.match(rows[0]?.error ?? '', /without kind and id/);
  const { notices, webhooks } = await sent(p, before);
  assert.equal(notices.length, 14);
  assert.equal(webhooks.length, 4);
  assert.match(p.logs.text(), /outbox batch failed; handling its events one at a time/);
});

test("a refund's receipt waits for its payment's, so its webhook event comes second", async () => {
  const p = await payPlatform();
  try {
    const { users, payloads } = await story(p);
    const payment = payloads.find((e) => e.id === users[0]!.paymentId)!;
    const refund = payloads.find((e) => e.kind === 'refund')!;
    await p.db.sql`delete from webhooks_events`; // those the story's mailbox reads emitted
    // Another worker holds the payment's receipt: the refund's is tried first, and waits.
    await assert.rejects(p.payments.sendReceipts([refund]), ReceiptTooEarly);
    await p.payments.sendReceipts([payment]);
    await p.payments.sendReceipts([refund]);
    const events = await p.db.sql<{ type: string }[]>`
      select type from webhooks_events where order_key = ${payment.id} order by seq`;
    assert.deepEqual(
      events.map((e) => e.type),
      ['code_payment.succeeded', 'code_payment.refunded'],
    );
    // In one batch the payment's receipt goes first, and the refund's follows at once.
    await unsend(p);
    await p.db.sql`delete from webhooks_events`;
    await p.payments.sendReceipts([refund, payment]);
    const again = await p.db.sql<{ type: string }[]>`
      select type from webhooks_events where order_key = ${payment.id} order by seq`;
    assert.deepEqual(
      again.map((e) => e.type),
      ['code_payment.succeeded', 'code_payment.refunded'],
    );
  } finally {
    await p.close();
  }
});

test('a register batch has one receipt event; a receipt failing in it fails alone', async (t) => {
  // A window long enough for the three requests to meet in one batch.
  const p = await payPlatform({ env: { KINKO_PAYMENTS_BATCH_WINDOW_MS: '300' } });
  t.after(() => p.close());
  const users = [];
  for (const n of [1, 2, 3]) {
    const u = await walletUser(p, n);
    await fundWallet(p, u, 5000);
    users.push({ ...u, code: await issueCode(p, u) });
  }
  await p.payments.sendReceiptsOnce(); // the top-ups'
  const before = await lastOutboxId(p);
  const paid = await Promise.all(users.map((u, i) => registerPay(p, u.code, 1000 + i)));
  const ids = paid.map((r) => {
    assert.equal(r.statusCode, 200, r.body);
    return r.json().id as string;
  });
  const events = await p.db.sql<{ payload: { kind: string; ids: string[] } }[]>`
    select payload from outbox_events where topic = ${RECEIPT_TOPIC} and id > ${before.outbox}`;
  assert.equal(events.length, 1, 'one receipt event for the batch');
  assert.equal(events[0]!.payload.kind, 'payment');
  assert.deepEqual([...events[0]!.payload.ids].sort(), [...ids].sort());

  // The second payment's receipt cannot be marked sent: the batch's event is split, and only
  // that receipt's own event is left, failed once; the others' receipts are sent.
  const poisoned = ids[1]!;
  await p.db.owner.unsafe(`
    create function test_poison() returns trigger language plpgsql as
      $$ begin raise exception 'poisoned receipt'; end $$;
    create trigger test_poison before update on payments_payments for each row
      when (old.id = '${poisoned}') execute function test_poison();`);
  await runReceiptsWorker(p);
  const left = await p.db.sql<{ payload: unknown; attempts: number; error: string | null }[]>`
    select payload, attempts, last_error as error
    from outbox_events where topic = ${RECEIPT_TOPIC} and id > ${before.outbox}`;
  assert.deepEqual(
    left.map((r) => [r.payload, r.attempts]),
    [[{ kind: 'payment', id: poisoned }, 1]],
  );
  assert.match(left[0]?.error ?? '', /poisoned receipt/);
  const { notices, webhooks } = await sent(p, before);
  assert.equal(notices.length, 4, 'an email and an SMS for each receipt sent');
  assert.deepEqual(
    webhooks.map((w) => w.body.data.object.id).sort(),
    ids.filter((id) => id !== poisoned).sort(),
  );
  assert.match(p.logs.text(), /receipt batch failed; split per receipt/);
});
