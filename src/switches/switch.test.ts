import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkOf, parseAddress } from './network.ts';
import { activeSwitch, canonicalScope, covers } from './switch.ts';

// The pure rules: scopes are written one way (so one switch per scope is on), a scope that no
// request of its operation carries is refused, and matching is exact.

test('networks are written canonically, IPv4 and IPv6, host bits cleared', () => {
  assert.equal(networkOf('203.0.113.77/24')?.text, '203.0.113.0/24');
  assert.equal(networkOf('203.0.113.77')?.text, '203.0.113.77/32');
  assert.equal(networkOf('2001:DB8:0:0:1::5/64')?.text, '2001:db8::/64');
  assert.equal(networkOf('2001:db8::1')?.text, '2001:db8::1/128');
  for (const bad of ['203.0.113.0/33', '203.0.113/24', 'x', '::1/129', '1.2.3.4/24/1', '']) {
    assert.equal(networkOf(bad), undefined, bad);
  }
  const net = networkOf('203.0.113.0/24')!;
  assert.ok(net.contains(parseAddress('203.0.113.200')!));
  assert.ok(net.contains(parseAddress('::ffff:203.0.113.9')!), 'IPv4 written as IPv6');
  assert.ok(!net.contains(parseAddress('203.0.114.1')!));
  assert.ok(networkOf('0.0.0.0/0')!.contains(parseAddress('198.51.100.1')!));
  assert.ok(!networkOf('0.0.0.0/0')!.contains(parseAddress('2001:db8::1')!));
});

test('a scope must fit its operation and is canonical', () => {
  assert.deepEqual(canonicalScope('topups', 'card_brand', 'VISA'), {
    type: 'card_brand',
    value: 'visa',
  });
  assert.deepEqual(canonicalScope('topups', 'bin_range', '424242').value, '424242-424242');
  assert.throws(() => canonicalScope('topups', 'bin_range', '424299-424200'), /not a valid/);
  assert.throws(() => canonicalScope('sign_up', 'customer', 'c1'), /takes the scope/);
  assert.throws(() => canonicalScope('everything', 'all', null), /takes the scope/);
  assert.throws(() => canonicalScope('refunds', 'all', 'x'), /no scope value/);
  assert.throws(() => canonicalScope('topups', 'card_brand', 'laser'), /not a valid/);
});

test('a switch covers only requests of its operation and scope', () => {
  const visa = activeSwitch('sw_1', 'topups', canonicalScope('topups', 'card_brand', 'visa'));
  const card = { brand: 'visa', bin: '424242' };
  assert.ok(covers(visa, { operation: 'topups', card }));
  assert.ok(!covers(visa, { operation: 'topups', card: { brand: 'jcb', bin: '353011' } }));
  assert.ok(!covers(visa, { operation: 'card_linking', card }));
  const merchant = activeSwitch('sw_2', 'everything', { type: 'merchant', value: 'mer_1' });
  assert.ok(covers(merchant, { operation: 'refunds', merchantId: 'mer_1' }));
  assert.ok(covers(merchant, { operation: 'webhooks_out', merchantId: 'mer_1' }));
  assert.ok(!covers(merchant, { operation: 'refunds', merchantId: 'mer_2' }));
  const net = activeSwitch('sw_3', 'login', canonicalScope('login', 'source', '203.0.113.0/24'));
  assert.ok(covers(net, { operation: 'login', source: '203.0.113.5' }));
  assert.ok(!covers(net, { operation: 'login', source: '198.51.100.5' }));
  assert.ok(!covers(net, { operation: 'login' }), 'no source, no match');
  // Kinko does not learn every card's type: a card of unknown type is suspended too.
  const prepaid = activeSwitch('sw_4', 'topups', { type: 'card_type', value: 'prepaid' });
  assert.ok(covers(prepaid, { operation: 'topups', card }));
  assert.ok(!covers(prepaid, { operation: 'topups', card: { ...card, type: 'credit' } }));
});
