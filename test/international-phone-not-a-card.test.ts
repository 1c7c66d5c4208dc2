import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceKey, harness } from './helpers/identity-harness.ts';

// The card-number guards (log masking, the outbox's refusal of card data) must not shut out
// customers whose phone number happens to look like a card. +86 138 9088 3780, an ordinary
// Chinese mobile number, is 13 digits that pass Luhn, as one such number in ten does; its
// owner could not sign up: the SMS with the code could not be queued and the answer was 500.

const PHONE = '+8613890883780';

test('a customer whose phone number passes Luhn signs up and gets the SMS code', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const email = 'li.wei@example.com';
  let res = await h.app.inject({
    method: 'POST',
    url: '/v1/identity/signup',
    payload: { email, phone: PHONE, password: 'correct horse battery staple' },
  });
  assert.equal(res.statusCode, 202, res.body);
  const signupId = res.json().signup_id as string;
  const phoneCode = await h.lastCode(PHONE);
  assert.match(phoneCode, /^\d{6,8}$/);
  res = await h.app.inject({
    method: 'POST',
    url: '/v1/identity/signup/verify',
    payload: {
      signup_id: signupId,
      email_code: await h.lastCode(email),
      phone_code: phoneCode,
      device: { name: 'phone', public_key: deviceKey().publicJwk },
    },
  });
  assert.equal(res.statusCode, 201, res.body);
  const [row] = await h.db.sql`select phone from identity_customers`;
  assert.equal(row!['phone'], PHONE);
});
