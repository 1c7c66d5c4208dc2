import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturedLogger } from '../../test/helpers/log.ts';
import { luhnValid } from './card-numbers.ts';
import { maskPans, scrub } from './redact.ts';

test('Luhn check against published valid and invalid numbers', () => {
  for (const pan of [
    '4242424242424242',
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '3530111333300000',
    '79927398713',
  ]) {
    assert.ok(luhnValid(pan), pan);
  }
  for (const bad of ['4242424242424241', '79927398710', '1234567812345678'])
    assert.ok(!luhnValid(bad), bad);
});

test('card numbers are masked in free text, with spaces or dashes, but not other numbers', () => {
  assert.equal(maskPans('pan 4242 4242 4242 4242 end'), 'pan [pan redacted] end');
  assert.equal(maskPans('4111-1111-1111-1111'), '[pan redacted]');
  assert.equal(maskPans('order 1234567812345678'), 'order 1234567812345678');
  assert.equal(maskPans('took 0.6348019999995813 ms'), 'took 0.6348019999995813 ms');
});

test('an international phone number is not taken for a card, a card after "+" still is', () => {
  // +86 138 9088 3780: 13 digits that pass Luhn, an ordinary Chinese mobile number.
  assert.ok(luhnValid('8613890883780'));
  assert.equal(maskPans('+8613890883780'), '+8613890883780');
  assert.equal(maskPans('sms to +8613890883780 sent'), 'sms to +8613890883780 sent');
  // Without the "+" it is still no card: no brand issues numbers beginning 86.
  assert.equal(maskPans('8613890883780'), '8613890883780');
  assert.equal(maskPans('4222222222222'), '[pan redacted]');
  assert.equal(maskPans('+4222222222222'), '+4222222222222');
  // E.164 stops at 15 digits: 16 after a "+" are no phone number.
  assert.equal(maskPans('+4111111111111111'), '+[pan redacted]');
  assert.equal(maskPans('+4111 1111 1111 1111'), '+[pan redacted]');
});

test('sensitive keys are redacted at any depth', () => {
  const out = scrub({
    a: { cvc: '123', card_number: '4242424242424242', password: 'x', code: 'ok' },
    list: [{ token: 't' }],
  });
  assert.deepEqual(out, {
    a: { cvc: '[redacted]', card_number: '[redacted]', password: '[redacted]', code: 'ok' },
    list: [{ token: '[redacted]' }],
  });
});

test('the logger never writes a card number, security code, password or bearer secret', () => {
  const { log, text } = capturedLogger();
  const pan = '4242424242424242';
  log.info(
    { body: { card: { number: pan, cvc: '987', exp_month: 12 }, password: 'correct horse' } },
    'tokenize',
  );
  log.info(
    { headers: { authorization: 'Bearer sk_live_abcdef', cookie: 'session=zzz' } },
    'headers',
  );
  log.warn(`declined card ${pan} with cvc`);
  log.error({ err: new Error(`network rejected ${pan}`) }, 'failure');
  log.info({ pan: Number('4242424242424242') }, 'numeric');
  log.info(
    { nested: { deeper: { security_code: '987', note: 'card 4242-4242-4242-4242' } } },
    'nested',
  );
  const all = text();
  assert.doesNotMatch(all, /4242424242424242|4242-4242-4242-4242/);
  assert.doesNotMatch(all, /"987"|correct horse|sk_live_abcdef|session=zzz/);
  assert.match(all, /tokenize/);
  assert.match(all, /\[redacted\]/);
});

test('card numbers in printed groupings are masked: 4-4-4-4, Amex 4-6-5, Diners 4-6-4', () => {
  for (const pan of [
    '4242 4242 4242 4242',
    '4242-4242-4242-4242',
    '3782 822463 10005',
    '3782-822463-10005',
    '3056 930902 5904',
    '6011 0009 9013 9424',
  ]) {
    assert.equal(maskPans(`card ${pan}.`), 'card [pan redacted].', pan);
  }
  // A card followed by a three-digit security code loses both.
  assert.equal(maskPans('6011 0009 9013 9424 123 ok'), '[pan redacted] ok');
  assert.equal(maskPans('4242 4242 4242 4242 12/29'), '[pan redacted] 12/29');
});

test('UUIDs are not card numbers, even with all-digit groups that pass Luhn', () => {
  // Each of these has a digit run across dashes that is Luhn-valid and 13–19 digits long.
  const ids = [
    '12345678-1234-1234-1234-123456789012',
    '00000000-4242-4242-4242-424242424242',
    '42424242-4242-4242-4242-424242424242',
    'abcd4242-4242-4242-4242-424242424242',
    '01890a5d-4242-4242-4242-4242a2099a80',
  ];
  for (const id of ids) {
    assert.equal(maskPans(id), id, id);
    assert.equal(maskPans(`transfer ${id} posted`), `transfer ${id} posted`, id);
  }
  assert.ok(luhnValid('4242424242424242'));
  // Other groupings of digits are not card layouts either.
  assert.equal(maskPans('ref 42424242-42424242'), 'ref 42424242-42424242');
});

test('card numbers are masked wherever they sit; digit runs that cannot be one are kept', () => {
  const pan = '4242424242424242';
  assert.equal(maskPans(`card ${pan} ok`), 'card [pan redacted] ok');
  assert.equal(maskPans('4242-4242 4242-4242'), '[pan redacted]');
  assert.equal(maskPans(`${pan}`), '[pan redacted]');
  // Twelve digits, or digits broken by letters or dots, are not card numbers.
  assert.equal(maskPans('424242424242'), '424242424242');
  assert.equal(maskPans('4242x4242x4242x4242'), '4242x4242x4242x4242');
  assert.equal(
    maskPans('0199a1b2-0000-7000-8000-000000000000'),
    '0199a1b2-0000-7000-8000-000000000000',
  );
});
