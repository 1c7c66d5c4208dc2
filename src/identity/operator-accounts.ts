import { isUuid } from '../lib/ids.ts';
import type { Tx } from '../db/index.ts';
import { at, commitThenThrow, refuse, send, type Deps, type Source } from './context.ts';
import { maskAddress, normalizeEmail, normalizePhone } from './contacts.ts';
import * as messages from './messages.ts';
import { freezeAccount } from './recovery.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';

// What operators do to customer accounts: find one (by id, or by its verified email or
// phone, exact match on the normalised form), freeze it with a reason, and unfreeze it.
// Every lookup is audited, found or not, because reading a customer's record is itself
// something an operator must answer for. Unfreezing is a second operator's decision: the
// operator who froze an account cannot restore it alone, so one person cannot freeze an
// account to cover a takeover and quietly hand it back.

type LookupKind = 'customer_id' | 'email' | 'phone';

interface CustomerQuery {
  kind: LookupKind;
  value: string;
}

/**
 * A typed query in the form the account stores: a UUID, a lower-cased email, or an E.164
 * phone. A Japanese domestic number (090-1234-5678) is read as +81, the country Kinko's
 * wallet serves, because that is how a customer reads their number to support.
 */
function parseCustomerQuery(raw: string): CustomerQuery | undefined {
  const text = raw.trim();
  if (isUuid(text.toLowerCase())) return { kind: 'customer_id', value: text.toLowerCase() };
  const email = normalizeEmail(text);
  if (email) return { kind: 'email', value: email };
  const digits = text.replace(/[\s().-]/g, '');
  const domestic = /^0\d{9,10}$/.test(digits) ? `+81${digits.slice(1)}` : digits;
  const phone = normalizePhone(domestic);
  return phone ? { kind: 'phone', value: phone } : undefined;
}

export type CustomerOverview = NonNullable<Awaited<ReturnType<typeof store.customerOverview>>>;

async function customerIdOf(deps: Deps, q: CustomerQuery): Promise<string | undefined> {
  if (q.kind === 'customer_id') return q.value;
  return (await store.customerByContact(deps.sql, q.kind, q.value))?.id;
}

/** Finds one customer and audits the lookup; customer_not_found when none matches. */
export async function lookupCustomer(
  deps: Deps,
  operatorId: string,
  raw: string,
  source: Source,
): Promise<{ matchedBy: LookupKind; customer: CustomerOverview }> {
  const q = parseCustomerQuery(raw);
  if (!q) throw identityError('lookup_query_invalid', { param: 'query' });
  const id = await customerIdOf(deps, q);
  const customer = id ? await store.customerOverview(deps.sql, id) : undefined;
  await deps.sql.begin((tx) =>
    deps.audit.append(tx, [
      {
        action: 'identity.operator.customer_lookup',
        actor: { type: 'operator', id: operatorId },
        subject: customer ? { type: 'customer', id: customer.id } : undefined,
        source: { ip: source.ip, requestId: source.requestId },
        outcome: customer ? 'success' : 'failure',
        // The address searched for is kept masked: the trail says what was looked for
        // without becoming a second copy of customers' contacts.
        detail: { by: q.kind, query: q.kind === 'customer_id' ? q.value : maskAddress(q.value) },
      },
    ]),
  );
  if (!customer) throw identityError('customer_not_found');
  return { matchedBy: q.kind, customer };
}

async function lockedState(tx: Tx, customerId: string) {
  const c = isUuid(customerId) ? await store.freezeStateForUpdate(tx, customerId) : undefined;
  if (!c || c.status === 'deleted') throw identityError('customer_not_found');
  return c;
}

/** An operator freezes an account, with a reason the trail and the console keep. */
export async function operatorFreeze(
  deps: Deps,
  operatorId: string,
  customerId: string,
  reason: string,
  source: Source,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    const c = await lockedState(tx, customerId);
    if (c.status === 'frozen') throw identityError('account_already_frozen');
    await freezeAccount(deps, tx, c.id, source, { type: 'operator', id: operatorId }, reason);
  });
}

/**
 * A security admin unfreezes an account, with a reason; the customer hears of it on every
 * contact. Refused (and the refusal audited) when this operator froze the account.
 */
export async function operatorUnfreeze(
  deps: Deps,
  operatorId: string,
  customerId: string,
  reason: string,
  source: Source,
): Promise<void> {
  await commitThenThrow(deps, async (tx) => {
    const c = await lockedState(tx, customerId);
    if (c.status !== 'frozen') return refuse('account_not_frozen');
    const entry = {
      action: 'identity.account.unfrozen',
      actor: { type: 'operator' as const, id: operatorId },
      subject: { type: 'customer' as const, id: c.id },
      source: { ip: source.ip, requestId: source.requestId },
    };
    const frozenBy = c.frozen_by;
    if (frozenBy === operatorId) {
      await deps.audit.append(tx, [
        { ...entry, outcome: 'denied', detail: { reason, refused: 'same_operator' } },
      ]);
      return refuse('unfreeze_needs_second_operator');
    }
    await store.setFrozen(tx, c.id, { frozen: false }, at(deps));
    await send(deps, tx, messages.notice(c, messages.ACCOUNT_RESTORED));
    await deps.audit.append(tx, [
      {
        ...entry,
        outcome: 'success',
        detail: { reason, frozen_by: frozenBy, frozen_reason: c.frozen_reason },
      },
    ]);
    return undefined;
  });
}
