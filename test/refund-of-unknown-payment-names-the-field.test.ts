import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idem, payPlatform } from './helpers/payments-platform.ts';

// POST /v1/refunds names its payment in the body field `payment`. A payment that is not the
// caller's (another merchant's, or none) was refused with param "id", a field the request
// does not have; an integrator's form could not point at what was wrong.

test('a refund of an unknown payment names the field that held it', async () => {
  const p = await payPlatform();
  try {
    const headers = () => ({ authorization: `Bearer ${p.merchant.secretKey}`, ...idem() });
    const body = await p.app.inject({
      method: 'POST',
      url: '/v1/refunds',
      headers: headers(),
      payload: { payment: 'pay_NoSuchPayment0001', amount: 100 },
    });
    assert.equal(body.statusCode, 404, body.body);
    assert.equal(body.json().error.code, 'web_payment_not_found');
    assert.equal(body.json().error.param, 'payment');
    const path = await p.app.inject({
      method: 'POST',
      url: '/v1/payments/pay_NoSuchPayment0001/refunds',
      headers: headers(),
      payload: { amount: 100 },
    });
    assert.equal(path.statusCode, 404, path.body);
    assert.equal(path.json().error.param, 'id');
  } finally {
    await p.close();
  }
});
