import { test } from 'node:test';
import assert from 'node:assert/strict';
import { payPlatform, idem } from './helpers/payments-platform.ts';

// The monitor must never fail silently: a machine without Chromium (or with a broken one)
// watches nothing, and says so everywhere someone would look — the page lists the dashboard
// and console read, /readyz's details, the kinko_pagewatch_browser_up gauge and the log.

test('a missing browser: monitoring is off in the API, /readyz and the metric', async () => {
  const p = await payPlatform({
    env: { KINKO_PAGEWATCH_BROWSER: '/nonexistent/chromium', KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1' },
  });
  try {
    const auth = { authorization: `Bearer ${p.merchant.secretKey}` };
    const list = await p.app.inject({ method: 'GET', url: '/v1/pages', headers: auth });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.json().monitor.monitoring, 'off');
    assert.equal(list.json().monitor.reason, 'no_browser');
    const ready = await p.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, 'a process without a browser still serves payments');
    assert.deepEqual(ready.json().details, { page_monitor: 'no_browser' });

    const res = await p.app.inject({
      method: 'POST',
      url: '/v1/pages',
      headers: { ...auth, ...idem() },
      payload: { url: 'http://127.0.0.1:9/checkout' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const pass = await p.jobs.pagewatchPass();
    assert.equal(pass.status.monitoring, 'off');
    assert.equal(pass.checked, 0);
    assert.match(p.logs.text(), /page monitor: no browser/);
    const metrics = (await p.modules.metrics.scrape()).body;
    assert.match(metrics, /^kinko_pagewatch_browser_up 0$/m);

    // What a client needs is in the OpenAPI document: the routes and the webhook event.
    const spec = (await p.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of ['/v1/pages', '/v1/pages/{id}/approve', '/v1/operator/pages']) {
      assert.ok(spec.paths[path], path);
    }
    assert.ok(spec.webhooks['page.integrity_alert'].post.requestBody);
  } finally {
    await p.close();
  }
});

test('a browser path that is not a browser: off after the first pass fails to launch it', async () => {
  const p = await payPlatform({
    env: { KINKO_PAGEWATCH_BROWSER: '/bin/false', KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1' },
  });
  try {
    assert.equal(p.modules.pagewatch.status().monitoring, 'on', 'an executable is there');
    await p.modules.pagewatch.register(
      p.merchant.merchantId,
      { url: 'http://127.0.0.1:9/checkout' },
      { type: 'cli' },
    );
    const pass = await p.jobs.pagewatchPass();
    assert.equal(pass.status.monitoring, 'off');
    assert.equal(pass.status.reason, 'no_browser');
    const ready = await p.app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual(ready.json().details, { page_monitor: 'no_browser' });
    assert.match((await p.modules.metrics.scrape()).body, /^kinko_pagewatch_browser_up 0$/m);
  } finally {
    await p.close();
  }
});
