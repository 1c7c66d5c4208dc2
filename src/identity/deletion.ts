import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { at, customerEntry, type Deps, type Source } from './context.ts';
import { sendNotice } from './factors.ts';
import { ACCOUNT_DELETED } from './messages.ts';
import * as store from './store.ts';

// Account deletion, identity's part. Payments orchestrates the whole flow (balance, cards,
// this) and calls in with its transaction, so that the customer is marked deleted, every
// session and device ends, the personal data goes and the goodbye notice is queued together.

/**
 * In the caller's transaction: the goodbye notice to the verified contacts (queued before
 * they are erased), then the erasure, the revocations and the audit entry.
 */
export async function deleteCustomer(
  deps: Deps,
  tx: Tx,
  customerId: string,
  source: Source,
): Promise<{ sessionsRevoked: number } | 'already_deleted'> {
  const c = await store.customerById(tx, customerId, true);
  assert(c !== undefined, `deleteCustomer: no customer ${customerId}`);
  // Two deletions racing: the second finds the first's work done.
  if (c.status === 'deleted') return 'already_deleted';
  await sendNotice(deps, tx, c, ACCOUNT_DELETED);
  const now = at(deps);
  const sessionsRevoked = await store.revokeCustomerSessions(tx, c.id, now, 'account_deleted');
  await store.eraseCustomer(tx, c, now);
  await deps.audit.append(tx, [
    customerEntry('identity.customer.deleted', c.id, source, 'success', {
      sessions_revoked: sessionsRevoked,
    }),
  ]);
  return { sessionsRevoked };
}
