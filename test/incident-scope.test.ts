import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import * as seed from './helpers/scope-seed.ts';

// Scope on a small seeded platform whose answer is known: a takeover from 203.0.113.0/24
// reaches the customers who signed in from it, the top-ups and payments made from the devices
// those sign-ins used, their cards and merchants, and nothing before the window, after it, or
// from the customers' own devices. Adding the stolen card's fingerprint and running again
// brings in the web-shop payment made with it elsewhere. Exports name cards by brand, BIN,
// last four and fingerprint only.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

test('scope from an IP range, then a card fingerprint; saved runs and exports', async () => {
  const h = await harness();
  try {
    const sql = h.db.owner;
    // The wave's a and b (with its sign-ins, a's card and top-up, both payments), and c and d
    // outside it; a also signs in from its own device an hour before the window.
    const wave = await seed.takeoverWave(sql);
    const { a, b, cardA } = wave;
    const attackerB = wave.devB;
    const [c, d] = [await seed.customer(sql, T('08:00')), await seed.customer(sql, T('08:00'))];
    const [ownA, ownC] = [randomUUID(), randomUUID()];
    await seed.signIn(sql, { customerId: c, deviceId: ownC, ip: '198.51.100.1', at: T('10:20') });
    await seed.signIn(sql, { customerId: a, deviceId: ownA, ip: '203.0.113.7', at: T('09:00') });
    const cardB = await seed.card(sql, {
      brand: 'jcb',
      bin: '353011',
      last4: '0000',
      customerId: b,
    });
    const cardC = await seed.card(sql, {
      brand: 'visa',
      bin: '400000',
      last4: '0002',
      customerId: c,
    });
    const cardD = await seed.card(sql, {
      brand: 'visa',
      bin: '411111',
      last4: '1111',
      customerId: d,
      same: cardA,
    });
    await seed.topup(sql, {
      customerId: b,
      deviceId: attackerB,
      card: cardB,
      yen: 50_000,
      at: T('10:11'),
    });
    await seed.topup(sql, {
      customerId: b,
      deviceId: attackerB,
      card: cardB,
      yen: 10_000,
      at: T('10:12'),
      failed: true,
    });
    await seed.topup(sql, {
      customerId: c,
      deviceId: ownC,
      card: cardC,
      yen: 5_000,
      at: T('10:21'),
    });
    await seed.topup(sql, {
      customerId: a,
      deviceId: ownA,
      card: cardA,
      yen: 1_000,
      at: T('11:30'),
    });
    await seed.payment(sql, {
      customerId: c,
      deviceId: ownC,
      merchantId: 'mer_bakery00000001',
      storeId: 'store_b1',
      yen: 3_000,
      at: T('10:30'),
    });
    await seed.payment(sql, {
      customerId: b,
      deviceId: attackerB,
      ...seed.WAVE_PLACE,
      yen: 9_000,
      at: T('12:30'),
    });
    await seed.webPayment(sql, {
      merchantId: 'mer_webshop0000001',
      card: cardD,
      yen: 8_000,
      at: T('11:00'),
    });

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const support = await signedInOperator(h, 2, 'support');
    const call = (
      headers: Record<string, string>,
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) => h.app.inject(payload ? { method, url, headers, payload } : { method, url, headers });
    const opened = await call(analyst.headers, 'POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'critical',
      summary: 'Top-ups and payments from new devices',
    });
    const base = `/v1/operator/incidents/${opened.json().id}/scopes`;
    const window = { from: '2026-04-01T10:00:00Z', to: '2026-04-01T12:00:00Z' };
    assert.equal(
      (await call(support.headers, 'POST', base, { ...window, ip_ranges: ['203.0.113.0/24'] }))
        .statusCode,
      403,
    );
    const bad = await call(analyst.headers, 'POST', base, {
      ...window,
      ip_ranges: ['203.0.113.0/33'],
    });
    assert.equal(bad.json().error.code, 'scope_indicator_invalid');
    const backwards = await call(analyst.headers, 'POST', base, {
      from: window.to,
      to: window.from,
    });
    assert.equal(backwards.json().error.code, 'scope_window_invalid');

    const first = await call(analyst.headers, 'POST', base, {
      ...window,
      ip_ranges: ['203.0.113.0/24'],
    });
    assert.equal(first.statusCode, 201, first.body);
    const r1 = first.json();
    assert.deepEqual(
      { ...r1.scope.totals },
      {
        customers: 2,
        cards: 2,
        merchants: 1,
        sign_ins: 2,
        topups: 3,
        topup_minor: '80000',
        payments: 2,
        payment_minor: '70000',
        web_payments: 0,
        web_payment_minor: '0',
      },
    );
    assert.deepEqual(
      r1.customers
        .map((x: { customer_id: string; how: string; topup_yen: string; payment_yen: string }) => [
          x.customer_id,
          x.how,
          x.topup_yen,
          x.payment_yen,
        ])
        .sort(),
      [
        [a, 'logged_in_from topped_up paid', '30000', '25000'],
        [b, 'logged_in_from topped_up paid', '50000', '45000'],
      ].sort(),
    );
    assert.deepEqual(
      r1.cards.map((x: { brand: string; last4: string; fingerprint: string }) => [
        x.brand,
        x.last4,
        x.fingerprint,
      ]),
      [
        ['jcb', '0000', cardB.fingerprint],
        ['visa', '1111', cardA.fingerprint],
      ],
    );
    assert.deepEqual(
      r1.merchants.map((m: { merchant_id: string; yen: string }) => [m.merchant_id, m.yen]),
      [['mer_tobacco0000001', '70000']],
    );

    const second = await call(analyst.headers, 'POST', base, {
      ...window,
      ip_ranges: ['203.0.113.0/24'],
      card_fingerprints: [cardA.fingerprint],
    });
    const r2 = second.json();
    assert.equal(r2.scope.run, 2);
    assert.equal(
      r2.scope.totals.customers,
      3,
      'the web-shop payment with the stolen card brings in D',
    );
    assert.equal(r2.scope.totals.web_payment_minor, '8000');
    assert.equal(r2.scope.totals.merchants, 2);
    // The first run is kept as it was.
    const again = await call(support.headers, 'GET', `${base}/${r1.scope.id}`);
    assert.equal(again.json().scope.totals.customers, 2);
    const runs = await call(support.headers, 'GET', base);
    assert.deepEqual(
      runs.json().data.map((s: { run: number }) => s.run),
      [2, 1],
    );

    // Exports: CSV per part and JSON; support may not take them; each one is on the timeline.
    assert.equal(
      (await call(support.headers, 'GET', `${base}/${r2.scope.id}/export/cards`)).statusCode,
      403,
    );
    const csv = await call(analyst.headers, 'GET', `${base}/${r2.scope.id}/export/cards`);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(
      csv.body.split('\r\n')[0],
      'brand,bin,last4,fingerprint,uses,yen,first_at,last_at',
    );
    assert.match(csv.body, new RegExp(`visa,411111,1111,${cardA.fingerprint},3,39000,`));
    const json = await call(analyst.headers, 'GET', `${base}/${r2.scope.id}/export.json`);
    assert.equal(json.json().payments.length, 3);
    // The card indicator also reaches A's own later top-up with that card.
    assert.equal(json.json().topups.length, 4);
    assert.doesNotMatch(json.body + csv.body, /4111111111111111|41111111111111/);
    const timeline = await call(
      support.headers,
      'GET',
      `/v1/operator/incidents/${opened.json().id}`,
    );
    assert.deepEqual(
      timeline.json().timeline.map((e: { kind: string }) => e.kind),
      ['opened', 'scope.run', 'scope.run', 'scope.exported', 'scope.exported'],
    );

    // Reports are filled from the incident and its latest run; the operator's words win.
    const reports = `/v1/operator/incidents/${opened.json().id}/reports`;
    assert.equal(
      (await call(support.headers, 'GET', `${reports}/ppc_preliminary`)).statusCode,
      403,
    );
    const pre = (await call(analyst.headers, 'GET', `${reports}/ppc_preliminary`)).json();
    const item = (r: { items: Array<{ key: string; text: string }> }, key: string) =>
      r.items.find((i) => i.key === key)?.text;
    assert.equal(item(pre, 'people'), '3 (scope run 2)');
    assert.equal(Date.parse(pre.due_at) - Date.parse(pre.known_at), 5 * 86_400_000);
    const edited = await call(analyst.headers, 'POST', `${reports}/ppc_final/text`, {
      field: 'cause',
      text: 'List-based login <script>x</script> with passwords leaked elsewhere.',
    });
    assert.equal(
      item(edited.json(), 'cause'),
      'List-based login <script>x</script> with passwords leaked elsewhere.',
    );
    assert.equal(
      Date.parse(edited.json().due_at) - Date.parse(edited.json().known_at),
      30 * 86_400_000,
    );
    const html = await call(
      analyst.headers,
      'GET',
      `${reports}/ppc_final?format=html&download=true`,
    );
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(html.body, /再発防止のための措置/);
    assert.match(html.body, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.doesNotMatch(html.body, /<script>/);
    const brands = (await call(analyst.headers, 'GET', `${reports}/card_brand`)).json();
    assert.deepEqual(brands.brands, [
      { brand: 'jcb', cards: 1, yen: '50000' },
      { brand: 'visa', cards: 1, yen: '39000' },
    ]);
    const notice = (await call(analyst.headers, 'GET', `${reports}/public_notice`)).json();
    assert.match(notice.ja, /3名/);
    const kinds = (await call(support.headers, 'GET', `/v1/operator/incidents/${opened.json().id}`))
      .json()
      .timeline.map((e: { kind: string }) => e.kind);
    assert.deepEqual(kinds.slice(-2), ['report.edited', 'report.downloaded']);
  } finally {
    await h.close();
  }
});
