import { createHash } from 'node:crypto';
import type { Sql, Tx } from '../db/index.ts';
import type { AccountInput, TransferInput } from '../ledger/index.ts';
import { assert } from '../lib/assert.ts';
import { uuidText } from '../lib/ids.ts';
import * as store from './store.ts';
import type { IncidentActor, IncidentDeps } from './timeline.ts';
import { appendTimeline } from './timeline.ts';
import { incidentsError } from './errors.ts';
import { NOTIFY_TOPIC } from '../notify/index.ts';
import { compensationNotice } from './notice-messages.ts';
import type { NoticePorts } from './notices.ts';

// Compensation: credit the customers an incident cost money, from the incident's own account
// in the ledger. One operator proposes the list from the latest scope run; another approves
// it, and only then is it posted. The proposal is a timeline event (its sequence number names
// it), the posting another. A transfer's id is derived from the incident and the customer, so
// approving twice, or a process dying half-way and the approval being sent again, posts each
// customer's credit once: the ledger answers `exists` for what is already there.
//
// What a customer lost: the top-ups charged to their card and the wallet payments made in
// the incident, counted once where the payments spent those top-ups: the larger of the two.

const COMPENSATION_CURRENCY = 'JPY';
const COMPENSATION_CUSTOMERS_MAX = 10_000;
const ACCOUNT_CODE = 20;
const TRANSFER_CODE = 401;

/** The ledger as compensation uses it, and the wallet account of a customer (payments). */
export interface CompensationPorts {
  /** The customer's wallet account as payments creates it (created here if missing). */
  walletAccount(customerId: string, currency: string): AccountInput;
  createAccounts(accounts: AccountInput[]): Promise<{ id: string; result: string }[]>;
  createTransfersInTx(
    tx: Tx,
    transfers: TransferInput[],
    ctx: { actor: IncidentActor },
  ): Promise<{ id: string; result: string }[]>;
  transferBatchSizeMax: number;
  /** Contacts and the outbox: each customer credited is told, in the posting's transaction. */
  notices: Pick<NoticePorts, 'contacts' | 'enqueue'>;
}

function derivedId(what: string): string {
  const bytes = createHash('sha256').update(`kinko:incident-compensation:v1|${what}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

const compensationAccountId = (incidentId: string) => derivedId(`account|${incidentId}`);
const transferId = (incidentId: string, customerId: string) =>
  derivedId(`transfer|${incidentId}|${customerId}`);

interface Item {
  customer_id: string;
  topup_minor: string;
  payment_minor: string;
  amount_minor: string;
}

interface Proposal {
  seq: bigint;
  scopeId: string;
  items: Item[];
  totalMinor: bigint;
}

type Deps = IncidentDeps & { sql: Sql };

/** Proposes compensating each customer of the latest scope run with a loss; on the timeline. */
export async function proposeCompensation(
  deps: Deps,
  r: { incidentId: string; actor: IncidentActor },
): Promise<Proposal> {
  return deps.sql.begin(async (tx) => {
    if (!(await store.lockIncident(tx, r.incidentId))) {
      throw incidentsError('incident_not_found', { param: 'id' });
    }
    const scope = await store.latestScope(tx, r.incidentId);
    if (!scope) throw incidentsError('scope_not_found', { param: 'id' });
    const losses = await store.scopeLosses(tx, scope.id);
    assert(losses.length <= COMPENSATION_CUSTOMERS_MAX, 'too many customers for one proposal');
    const items = losses
      .map((l) => ({
        ...l,
        amount: l.topup_minor > l.payment_minor ? l.topup_minor : l.payment_minor,
      }))
      .filter((l) => l.amount > 0n)
      .map((l) => ({
        customer_id: l.customer_id,
        topup_minor: l.topup_minor.toString(),
        payment_minor: l.payment_minor.toString(),
        amount_minor: l.amount.toString(),
      }));
    const totalMinor = items.reduce((s, i) => s + BigInt(i.amount_minor), 0n);
    const seq = await appendTimeline(tx, deps, r.incidentId, {
      kind: 'compensation.proposed',
      summary:
        `Compensation proposed from scope run ${scope.run}: ${items.length} customers, ` +
        `¥${totalMinor}; a second operator approves it.`,
      ref: { type: 'scope', id: scope.id },
      actor: r.actor,
      detail: { scope_id: scope.id, total_minor: totalMinor.toString(), items },
    });
    return { seq, scopeId: scope.id, items, totalMinor };
  });
}

interface Posted {
  proposal: bigint;
  posted: number;
  postedMinor: bigint;
  /** Customers credited before (by this proposal or an earlier one): not credited again. */
  alreadyPosted: number;
  /** Customers whose account was deleted: not credited, to be paid another way. */
  closedAccounts: number;
}

/**
 * Approves a proposal and posts it: one transfer per customer from the incident's account
 * to the customer's wallet. Answers compensation_not_found, or
 * compensation_needs_second_operator when the approver proposed it.
 */
export async function approveCompensation(
  deps: Deps,
  ports: CompensationPorts,
  r: { incidentId: string; proposal: bigint; actor: IncidentActor },
): Promise<Posted> {
  const p = await store.eventOf(deps.sql, r.incidentId, r.proposal, 'compensation.proposed');
  if (!p) throw incidentsError('compensation_not_found', { param: 'proposal' });
  if (p.actor_id === null || p.actor_id === r.actor.id) {
    throw incidentsError('compensation_needs_second_operator', { param: 'proposal' });
  }
  const items = (p.detail['detail'] as { items: Item[] }).items;
  await ensureAccounts(ports, r.incidentId, items);
  return deps.sql.begin(async (tx) => {
    // Serialises approvals of one incident, so two approvals at once post each credit once.
    await store.lockIncident(tx, r.incidentId);
    const done = await post(tx, ports, r, items);
    await appendTimeline(tx, deps, r.incidentId, {
      kind: 'compensation.posted',
      summary:
        `Compensation ${r.proposal} approved: ${done.posted} customers credited ` +
        `¥${done.postedMinor}; ${done.alreadyPosted} already credited` +
        (done.closedAccounts > 0
          ? `; ${done.closedAccounts} deleted accounts not credited: pay them another way.`
          : '.'),
      ref: { type: 'compensation', id: r.proposal.toString() },
      actor: r.actor,
      detail: {
        proposal: r.proposal.toString(),
        proposed_by: p.actor_id,
        posted: done.posted,
        posted_minor: done.postedMinor.toString(),
        closed_accounts: done.closedAccounts,
        already_posted: done.alreadyPosted,
      },
    });
    return done;
  });
}

/** The incident's account and the wallets credited, created when missing (idempotent). */
async function ensureAccounts(
  ports: CompensationPorts,
  incidentId: string,
  items: readonly Item[],
): Promise<void> {
  const accounts: AccountInput[] = [
    {
      id: compensationAccountId(incidentId),
      currency: COMPENSATION_CURRENCY,
      code: ACCOUNT_CODE,
      userData: `incident_compensation:${incidentId}`,
    },
    ...items.map((i) => ports.walletAccount(i.customer_id, COMPENSATION_CURRENCY)),
  ];
  for (let i = 0; i < accounts.length; i += ports.transferBatchSizeMax) {
    const results = await ports.createAccounts(accounts.slice(i, i + ports.transferBatchSizeMax));
    for (const a of results) {
      assert(a.result === 'ok' || a.result === 'exists', `account ${a.id}: ${a.result}`);
    }
  }
}

async function post(
  tx: Tx,
  ports: CompensationPorts,
  r: { incidentId: string; proposal: bigint; actor: IncidentActor },
  all: Item[],
): Promise<Posted> {
  const done: Posted = {
    proposal: r.proposal,
    posted: 0,
    postedMinor: 0n,
    alreadyPosted: 0,
    closedAccounts: 0,
  };
  // A deleted account has no contacts, and its wallet can be neither spent nor paid out: a
  // credit there would be lost to the customer. Such customers are counted, not credited.
  const open = new Set(
    (
      await ports.notices.contacts(
        tx,
        all.map((i) => i.customer_id),
      )
    ).map((c) => c.id),
  );
  const items = all.filter((i) => open.has(i.customer_id));
  done.closedAccounts = all.length - items.length;
  const credited: Item[] = [];
  for (let i = 0; i < items.length; i += ports.transferBatchSizeMax) {
    const batch = items.slice(i, i + ports.transferBatchSizeMax);
    const results = await ports.createTransfersInTx(
      tx,
      batch.map((item) => ({
        id: transferId(r.incidentId, item.customer_id),
        debitAccountId: compensationAccountId(r.incidentId),
        creditAccountId: ports.walletAccount(item.customer_id, COMPENSATION_CURRENCY).id,
        amount: BigInt(item.amount_minor),
        currency: COMPENSATION_CURRENCY,
        code: TRANSFER_CODE,
        userData: `incident_compensation:${r.incidentId}`,
      })),
      { actor: r.actor },
    );
    for (const [k, res] of results.entries()) {
      if (res.result === 'ok') {
        done.posted += 1;
        done.postedMinor += BigInt(batch[k]!.amount_minor);
        credited.push(batch[k]!);
      } else {
        // A credit already posted (maybe for another amount, by an earlier proposal) stays.
        assert(res.result.startsWith('exists'), `compensation transfer: ${res.result}`);
        done.alreadyPosted += 1;
      }
    }
  }
  await tell(tx, ports, credited);
  return done;
}

/** One email per customer credited now; never for a credit posted before. */
async function tell(tx: Tx, ports: CompensationPorts, credited: readonly Item[]): Promise<void> {
  if (credited.length === 0) return;
  const contacts = await ports.notices.contacts(
    tx,
    credited.map((i) => i.customer_id),
  );
  const emailOf = new Map(contacts.map((c) => [c.id, c.email]));
  const messages = credited
    .filter((i) => emailOf.has(i.customer_id))
    .map((i) => compensationNotice(emailOf.get(i.customer_id)!, BigInt(i.amount_minor)));
  if (messages.length === 0) return;
  await ports.notices.enqueue(
    tx,
    messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
  );
}

/** Total compensated against total lost (the latest proposal's total), in minor units. */
export async function compensationTotals(
  db: Sql,
  incidentId: string,
): Promise<{ lost_minor: string; compensated_minor: string; proposals: number }> {
  const proposed = await store.eventsOfKind(db, incidentId, 'compensation.proposed');
  const posted = await store.eventsOfKind(db, incidentId, 'compensation.posted');
  const inner = (e: store.EventRow) => e.detail['detail'] as Record<string, string>;
  const last = proposed.at(-1);
  return {
    lost_minor: last ? inner(last)['total_minor']! : '0',
    compensated_minor: posted
      .reduce((s, e) => s + BigInt(inner(e)['posted_minor']!), 0n)
      .toString(),
    proposals: proposed.length,
  };
}
