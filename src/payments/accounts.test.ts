import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid } from '../lib/ids.ts';
import { accountIdFor, accountInput } from './accounts.ts';

test('account ids are stable, distinct per kind, owner and currency, and valid UUIDs', () => {
  const a = accountIdFor('customer_wallet', 'cus_1', 'JPY');
  assert.equal(a, accountIdFor('customer_wallet', 'cus_1', 'JPY'));
  assert.ok(isUuid(a), a);
  assert.notEqual(a, accountIdFor('merchant', 'cus_1', 'JPY'));
  assert.notEqual(a, accountIdFor('customer_wallet', 'cus_2', 'JPY'));
  assert.notEqual(a, accountIdFor('customer_wallet', 'cus_1', 'USD'));
});

test('only wallets forbid going below zero', () => {
  assert.deepEqual(accountInput('customer_wallet', 'c', 'JPY').flags, {
    debitsMustNotExceedCredits: true,
  });
  assert.deepEqual(accountInput('merchant', 'm', 'JPY').flags, {});
});
