import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factorAdded } from './messages.ts';

// The notice a customer gets when a sign-in factor is added named it by Kinko's internal name
// ("A totp was added"): it names what the customer knows instead, in both languages.

test('the factor-added notice names the factor in words, never its internal name', () => {
  assert.equal(factorAdded('totp').text.en, 'An authenticator app was added to your account.');
  assert.equal(factorAdded('totp').text.ja, 'アカウントに認証アプリが追加されました。');
  assert.equal(factorAdded('passkey').text.en, 'A passkey was added to your account.');
  assert.equal(factorAdded('passkey').text.ja, 'アカウントにパスキーが追加されました。');
  assert.equal(
    factorAdded('recovery_codes').text.en,
    'New recovery codes were issued for your account.',
  );
  for (const factor of ['totp', 'passkey', 'recovery_codes'] as const) {
    const { ja, en } = factorAdded(factor).text;
    assert.doesNotMatch(`${ja} ${en}`, /totp|recovery_codes/i, factor);
  }
});
