import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid } from '../lib/ids.ts';
import { accountIdFor, accountInput } from './accounts.ts';
import { transferIdFor } from './ids.ts';

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

test('derived ids never change: accounts and transfers already stored must be found again', () => {
  // Fixed answers, computed once. Changing the derivation would re-key every stored
  // account and break the idempotency of every retried payment.
  assert.equal(accountIdFor('merchant', 'mer_demo', 'JPY'), '739e21a7-21be-81e1-9c2a-87d8e115a5d9');
  assert.equal(transferIdFor('payment', 'pay_demo'), '4d33cddb-ce05-86c5-9373-0ffe683e1441');
});
