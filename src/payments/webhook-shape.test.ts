import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { paymentJson } from './redeem.ts';
import { merchantPaymentView } from './refunds.ts';
import type { PaymentRow } from './store.ts';

// A register payment's webhook carries the register's answer, not GET /v1/code_payments/{id}'s
// object: docs/webhooks.md must say so field by field, or an integrator parsing one with the
// other's type reads a livemode or refunds that is never there.

const row: PaymentRow = {
  id: 'pay_0123456789abcdef',
  method: 'cpm',
  merchant_id: 'mer_0123456789abcdef',
  store_id: 'sto_0123456789abcdef',
  terminal_id: null,
  customer_id: '00000000-0000-7000-8000-000000000000',
  device_id: null,
  amount_minor: 500n,
  refunded_minor: 0n,
  currency: 'JPY',
  transfer_id: 'trf_0123456789abcdef',
  risk_decision: 'allow',
  risk_reasons: [],
  created_at: new Date(0),
};

test('docs/webhooks.md states the register payment event’s fields and how GET differs', () => {
  const doc = fs.readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  assert.doesNotMatch(doc, /the object the event is about exactly as the API returns it/);
  const start = doc.indexOf(
    'The payment in `code_payment.succeeded` and `store_payment.succeeded`',
  );
  assert.ok(start >= 0, 'the paragraph on the register payment events exists');
  const paragraph = doc.slice(start, doc.indexOf('\n\n', start));
  const [event, get] = paragraph.split('`GET /v1/code_payments/{id}` returns') as [string, string];
  assert.ok(get, 'the paragraph compares the event with GET');
  const sent = Object.keys(paymentJson(row));
  const got = [...Object.keys(merchantPaymentView(row)), 'refunds'];
  for (const key of sent) assert.match(event, new RegExp(`\`${key}\``), `event field ${key}`);
  const onlyInEvent = sent.filter((k) => !got.includes(k));
  const onlyInGet = got.filter((k) => !sent.includes(k));
  assert.deepEqual(onlyInEvent, ['receipt']);
  assert.deepEqual(onlyInGet.sort(), ['livemode', 'refunds']);
  for (const key of [...onlyInEvent, ...onlyInGet]) {
    assert.match(get, new RegExp(`\`${key}\``), `the difference ${key} is named`);
  }
});
