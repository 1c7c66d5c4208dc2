import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import { invite, ownerOf } from './helpers/merchant-team.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import * as seed from './helpers/scope-seed.ts';

// Merchants in an incident's scope are told once: a signed `incident.merchant_notice` webhook
// event and an email to each owner and admin (not to developers or analysts). Sending again
// tells no merchant twice; after the scope grows, only the merchant it added is told. The
// webhook notice's state follows its deliveries; a merchant with no endpoint says so.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);
const cli = { type: 'cli' as const };

test('merchants in scope get one webhook event and one email per owner and admin', async () => {
  const h = await harness();
  const rx = await startReceiver();
  try {
    const sql = h.db.owner;
    const { merchants, webhooks } = h.modules;
    const shop = (await merchants.createMerchant({ name: 'Tobacco Kabukicho' }, cli)).merchantId;
    const cafe = (await merchants.createMerchant({ name: 'Cafe Shinjuku' }, cli)).merchantId;
    const late = (await merchants.createMerchant({ name: 'Late Kiosk' }, cli)).merchantId;
    const owner = await ownerOf(h, shop, 'owner@tobacco.example');
    await invite(h, owner, 'admin@tobacco.example', 'admin');
    await invite(h, owner, 'dev@tobacco.example', 'developer');
    await ownerOf(h, cafe, 'owner@cafe.example');
    await webhooks.createEndpoint(
      shop,
      { url: rx.url, eventTypes: ['incident.merchant_notice'] },
      cli,
    );

    const pay = async (merchantId: string, ip: string, yen: number, at: string) => {
      const customerId = await seed.customer(sql, T('08:00'));
      const deviceId = randomUUID();
      await seed.signIn(sql, { customerId, deviceId, ip, at: T(at) });
      await seed.payment(sql, {
        ...{ customerId, deviceId, merchantId, storeId: 'store_kabukicho0001', yen, at: T(at) },
      });
    };
    await pay(shop, '203.0.113.7', 25_000, '10:05');
    await pay(shop, '203.0.113.8', 15_000, '10:06');
    await pay(cafe, '203.0.113.9', 4_000, '10:07');
    await pay(late, '198.51.100.4', 9_000, '10:08');

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const support = await signedInOperator(h, 2, 'support');
    const call = (who: { headers: object }, method: 'GET' | 'POST', url: string, body?: object) =>
      h.app.inject({
        method,
        url,
        headers: { ...who.headers },
        ...(body ? { payload: body } : {}),
      });
    const opened = await call(analyst, 'POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'critical',
      summary: 'Payments from one network',
    });
    const incidentId = opened.json().id as string;
    const inc = `/v1/operator/incidents/${incidentId}`;
    const window = { from: '2026-04-01T10:00:00Z', to: '2026-04-01T12:00:00Z' };
    await call(analyst, 'POST', `${inc}/scopes`, { ...window, ip_ranges: ['203.0.113.0/24'] });
    const contact = { contact: '加盟店窓口 0120-111-111' };
    assert.equal((await call(support, 'POST', `${inc}/notices`, contact)).statusCode, 403);

    const first = (await call(analyst, 'POST', `${inc}/notices`, contact)).json();
    assert.deepEqual(
      [first.merchants, first.merchant_emails, first.merchants_already_notified],
      [2, 3, 0],
    );
    const again = (await call(analyst, 'POST', `${inc}/notices`, contact)).json();
    assert.deepEqual(
      [again.merchants, again.merchant_emails, again.merchants_already_notified],
      [0, 0, 2],
    );
    await h.jobs.drainOutbox();

    assert.equal(rx.received.length, 1, 'one event to the shop, however often sent');
    const event = JSON.parse(rx.received[0]!.body);
    assert.equal(event.type, 'incident.merchant_notice');
    assert.deepEqual(event.data.object.affected, {
      payments: 2,
      amount: '40000',
      currency: 'JPY',
      stores: 1,
    });
    assert.equal(event.data.object.incident, incidentId);
    assert.equal(event.data.object.contact, '加盟店窓口 0120-111-111');
    assert.deepEqual(event.data.object.window, window);
    const mail = (await h.mailbox('admin@tobacco.example')).filter(isNotice);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.text, /2 payments totalling ¥40,000/);
    assert.match(mail[0]!.text, /0120-111-111/);
    assert.equal((await h.mailbox('owner@tobacco.example')).filter(isNotice).length, 1);
    assert.equal((await h.mailbox('owner@cafe.example')).filter(isNotice).length, 1);
    assert.equal((await h.mailbox('dev@tobacco.example')).filter(isNotice).length, 0);

    const counts = (await call(support, 'GET', `${inc}/notices`)).json();
    assert.deepEqual(counts.merchants, {
      webhook: { queued: 0, sent: 0, delivered: 1, failed: 0, no_endpoint: 1 },
      email: { queued: 0, sent: 0, delivered: 3, failed: 0 },
    });

    // The scope grows to the late kiosk's network: only the kiosk is told now.
    await call(analyst, 'POST', `${inc}/scopes`, {
      ...window,
      ip_ranges: ['203.0.113.0/24', '198.51.100.0/24'],
    });
    const grown = (await call(analyst, 'POST', `${inc}/notices`, contact)).json();
    assert.deepEqual(
      [grown.merchants, grown.merchant_emails, grown.merchants_already_notified],
      [1, 0, 2],
    );
    const events = await sql<{ merchant_id: string }[]>`
      select merchant_id from webhooks_events where type = 'incident.merchant_notice'
      order by merchant_id`;
    assert.deepEqual(
      events.map((e) => e.merchant_id),
      [shop, cafe, late].sort(),
    );
    await assert.rejects(
      sql`insert into incidents_merchant_notices (ref, incident_id, merchant_id, channel,
        event_id, scope_id, contact, sent_at, state_at)
        select 'mnt_BBBBBBBBBBBBBBBBBBBB', incident_id, merchant_id, 'webhook', 'evt_x',
          scope_id, contact, sent_at, state_at
        from incidents_merchant_notices where merchant_id = ${shop} and channel = 'webhook'`,
      /incidents_merchant_notices_once/,
    );
  } finally {
    await rx.close();
    await h.close();
  }
});

function isNotice(m: { subject: string }): boolean {
  return m.subject.includes('セキュリティインシデント');
}
