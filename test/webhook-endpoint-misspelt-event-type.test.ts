import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/index.ts';
import { idem, payPlatform } from './helpers/payments-platform.ts';

// An endpoint subscribed to "payment.succeded" (a typo) was accepted and then sent nothing,
// ever: the merchant learnt of it from orders never marked paid. A type Kinko does not send
// is refused by name, and the types Kinko sends are exactly those docs/webhooks.md lists.

test('an endpoint subscribing to an event type Kinko never sends is refused by name', async () => {
  const p = await payPlatform();
  try {
    const create = (eventTypes: string[]) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/webhook_endpoints',
        headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
        payload: { url: 'http://127.0.0.1:9/hook', event_types: eventTypes },
      });
    const typo = await create(['payment.succeeded', 'payment.succeded']);
    assert.equal(typo.statusCode, 400, typo.body);
    assert.equal(typo.json().error.code, 'webhook_event_type_unknown');
    assert.equal(typo.json().error.param, 'event_types');
    assert.match(typo.json().error.message, /payment\.succeded/);
    const listed = await create([...WEBHOOK_EVENT_TYPES]);
    assert.equal(listed.statusCode, 201, listed.body);
    assert.equal((await create(['*'])).statusCode, 201);
  } finally {
    await p.close();
  }
});

test('the event types Kinko sends are those docs/webhooks.md lists', () => {
  const doc = fs.readFileSync(new URL('../docs/webhooks.md', import.meta.url), 'utf8');
  const table = /\| type \| `data.object` \|[\s\S]*?\n\n/.exec(doc)?.[0] ?? '';
  const documented = new Set(
    table.split('\n').flatMap((row) => {
      const first = row.split('|')[1] ?? '';
      return [...first.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]!);
    }),
  );
  assert.deepEqual([...documented].sort(), [...WEBHOOK_EVENT_TYPES].sort());
});
