import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceKey, harness } from './helpers/identity-harness.ts';

// An email address with a long digit run (a phone number, a member number, a timestamp) is an
// address, not a card. Each card-number guard used to run Luhn over any 13-19 digits, so one
// such address in ten passed for a card: sign-up answered 500 when the outbox refused the
// notice carrying the code ("outbox event notify.message carries card data at $.to"). Now the
// one detector (lib/card-numbers.ts) knows no brand issues these numbers and the customer
// signs up; an address that really holds a card number is refused at the API by name.

async function signUp(h: Awaited<ReturnType<typeof harness>>, email: string, phone: string) {
  return h.app.inject({
    method: 'POST',
    url: '/v1/identity/signup',
    payload: { email, phone, password: 'correct horse battery staple' },
  });
}

test('an email address with a long digit run signs up and gets its codes', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  // 13 digits that pass Luhn: a Chinese mobile number with its country code, and a
  // millisecond timestamp. Neither begins as any card brand does.
  for (const [email, phone] of [
    ['8613890883780@example.com', '+8613890883781'],
    ['1796321000004@example.jp', '+819012345678'],
  ] as const) {
    let res = await signUp(h, email, phone);
    assert.equal(res.statusCode, 202, res.body);
    const verify = (name: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/identity/signup/verify',
        payload: {
          signup_id: res.json().signup_id as string,
          email_code: emailCode,
          phone_code: phoneCode,
          device: { name, public_key: deviceKey().publicJwk },
        },
      });
    const emailCode = await h.lastCode(email);
    const phoneCode = await h.lastCode(phone);
    // The same rule for the device's name, which the code message repeats.
    const refused = await verify('4242 4242 4242 4242');
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error.code, 'card_data_not_allowed');
    assert.equal(refused.json().error.param, 'device.name');
    res = await verify('phone');
    assert.equal(res.statusCode, 201, res.body);
  }
  const rows = await h.db.sql`select email from identity_customers order by email`;
  assert.deepEqual(
    rows.map((r) => r['email']),
    ['1796321000004@example.jp', '8613890883780@example.com'],
  );
});

test('an email address holding a card number is refused by name, never a 500', async (t) => {
  const h = await harness();
  t.after(() => h.close());
  for (const email of ['4242424242424242@example.com', '4242-4242-4242-4242@example.jp']) {
    const res = await signUp(h, email, '+819012345679');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'card_data_not_allowed');
    assert.equal(res.json().error.param, 'email');
    assert.ok(!res.body.includes('4242'), 'the answer repeats the number');
  }
  const rows = await h.db.sql`select count(*)::int as n from outbox_events`;
  assert.equal(rows[0]!['n'], 0, 'nothing was queued');
});
