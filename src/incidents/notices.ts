import type { Db, Sql, Tx } from '../db/index.ts';
import { NOTIFY_TOPIC, type NotifyMessage } from '../notify/index.ts';
import { assert } from '../lib/assert.ts';
import { publicId } from '../lib/ids.ts';
import * as store from './store.ts';
import { incidentNotices, merchantNotice, type MerchantFacts } from './notice-messages.ts';
import type { IncidentActor, IncidentDeps } from './timeline.ts';
import { appendTimeline } from './timeline.ts';
import { incidentsError } from './errors.ts';

// Notices: tell every customer in an incident's latest scope run what happened, by email and
// SMS through the outbox, and every merchant in it by a webhook event and an email to its
// owners and admins. The notice rows, the outbox messages and webhook events, the timeline
// event and the audit entry commit in one transaction; a customer notice's key (incident,
// customer, channel) and a merchant's one webhook notice per incident mean a run again after
// the scope grew reaches only the customers and merchants not yet told.
//
// Each email and SMS carries its notice's ref, and the notify worker reports its delivery
// back (recordDeliveries): queued → sent → delivered or failed. A failed one may be queued
// again by an operator (retryNotices); a delivered one never is.

/** What sending needs from outside the module: contacts and freeze links, and the outbox. */
export interface NoticePorts {
  /** Email and phone of customers (identity); a customer without a row is skipped. */
  contacts(
    db: Db,
    customerIds: readonly string[],
  ): Promise<{ id: string; email: string; phone: string }[]>;
  /** One "this was not me" link per id, in order, minted in the caller's transaction. */
  freezeLinks(tx: Tx, customerIds: readonly string[]): Promise<string[]>;
  enqueue(
    tx: Tx,
    events: readonly { topic: string; key?: string; payload: object }[],
  ): Promise<unknown>;
  merchants: MerchantNoticePorts;
}

/** The merchants' side: their people (merchants) and their webhook events (webhooks). */
interface MerchantNoticePorts {
  /** The active owners and admins of the merchants, with their email. */
  people(
    db: Db,
    merchantIds: readonly string[],
  ): Promise<{ merchantId: string; personId: string; email: string }[]>;
  /** Records webhook events in the caller's transaction; their ids, in order. */
  emitEvents(
    tx: Tx,
    events: readonly { merchantId: string; type: string; object: object; orderKey: string }[],
  ): Promise<string[]>;
  /**
   * How each event reached the merchant's endpoints: queued (not yet handed to them), sent
   * (being retried), delivered (an endpoint answered 2xx), failed (given up), or no_endpoint
   * (the merchant has no endpoint that takes it).
   */
  eventStates(
    db: Db,
    eventIds: readonly string[],
  ): Promise<Map<string, store.NoticeState | 'no_endpoint'>>;
}

/** The webhook event type a merchant in an incident's scope receives (docs/webhooks.md). */
const MERCHANT_NOTICE_EVENT = 'incident.merchant_notice';

const NOTICE_CUSTOMERS_MAX = 100_000;

interface NoticesSent {
  scopeId: string;
  customers: number;
  email: number;
  sms: number;
  /** Customers in the scope with contacts who were told before, and not told again. */
  alreadyNotified: number;
  merchants: MerchantsSent;
}

interface MerchantsSent {
  /** Merchants told now: one webhook event each. */
  merchants: number;
  /** Emails to their owners and admins. */
  emails: number;
  /** Merchants in the scope told before, and not told again. */
  alreadyNotified: number;
}

/**
 * Notifies the customers of the incident's latest scope run who were not notified yet.
 * Answers incident_not_found, or scope_not_found when the incident has no scope run.
 */
export async function notifyCustomers(
  deps: IncidentDeps & { sql: Sql },
  ports: NoticePorts,
  r: { incidentId: string; contact: string; actor: IncidentActor },
): Promise<NoticesSent> {
  return deps.sql.begin(async (tx) => {
    if (!(await store.lockIncident(tx, r.incidentId))) {
      throw incidentsError('incident_not_found', { param: 'id' });
    }
    const scope = await store.latestScope(tx, r.incidentId);
    if (!scope) throw incidentsError('scope_not_found', { param: 'id' });
    const inScope = await store.scopeCustomerIds(tx, scope.id);
    assert(inScope.length <= NOTICE_CUSTOMERS_MAX, 'too many customers for one notice run');
    const contacts = await ports.contacts(tx, inScope);
    const by = new Map(contacts.map((c) => [c.id, c]));
    const ids = inScope.filter((id) => by.has(id));
    const wanted = ids.flatMap((id) => [
      { customer_id: id, channel: 'email' as const },
      { customer_id: id, channel: 'sms' as const },
    ]);
    const at = deps.clock.now();
    const row = { incidentId: r.incidentId, scopeId: scope.id, at, by: r.actor.id ?? null };
    const fresh = await store.insertNotices(
      tx,
      { ...row, contact: r.contact },
      wanted.map((w) => ({ ...w, ref: publicId('ntc') })),
    );
    await enqueueCustomerNotices(tx, ports, fresh, r.contact, by);
    const merchants = await notifyMerchants(tx, ports.merchants, ports, {
      ...{ ...row, contact: r.contact, scope },
    });
    const sent = { ...summarise(scope.id, fresh, ids.length), merchants };
    await appendTimeline(tx, deps, r.incidentId, {
      kind: 'notice.sent',
      summary:
        `Notices sent from scope run ${scope.run}: ${sent.customers} customers ` +
        `(${sent.email} emails, ${sent.sms} SMS); ${sent.alreadyNotified} already notified; ` +
        `${merchants.merchants} merchants (${merchants.emails} emails), ` +
        `${merchants.alreadyNotified} already notified.`,
      ref: { type: 'scope', id: scope.id },
      actor: r.actor,
      detail: { ...sent },
    });
    await deps.audit.append(tx, [
      {
        action: 'incidents.customers_notified',
        actor: r.actor,
        subject: { type: 'incident', id: r.incidentId },
        outcome: 'success',
        detail: {
          scope_id: scope.id,
          email: sent.email,
          sms: sent.sms,
          merchants: merchants.merchants,
          merchant_emails: merchants.emails,
        },
      },
    ]);
    return sent;
  });
}

/** The email and SMS of each new notice, each with its ref and its own freeze link. */
async function enqueueCustomerNotices(
  tx: Tx,
  ports: NoticePorts,
  fresh: readonly store.NoticeRow[],
  contact: string,
  by: ReadonlyMap<string, { email: string; phone: string }>,
): Promise<void> {
  if (fresh.length === 0) return;
  const links = await ports.freezeLinks(
    tx,
    fresh.map((n) => n.customer_id),
  );
  const messages = fresh.map((n, i) => {
    const c = by.get(n.customer_id)!;
    const [email, sms] = incidentNotices({
      ...{ email: c.email, phone: c.phone, contact },
      // Each message gets its own link: one used from the email leaves the SMS's valid.
      freezeLinks: { email: links[i]!, phone: links[i]! },
    });
    return { ...(n.channel === 'email' ? email! : sms!), ref: n.ref };
  });
  await ports.enqueue(
    tx,
    messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
  );
}

/**
 * Tells the scope's merchants not told before: a webhook event each and an email to each of
 * their owners and admins, all recorded as notices in the caller's transaction (which holds
 * the incident's lock, so two runs at once cannot both tell a merchant).
 */
async function notifyMerchants(
  tx: Tx,
  ports: MerchantNoticePorts,
  outbox: Pick<NoticePorts, 'enqueue'>,
  r: {
    incidentId: string;
    at: Date;
    by: string | null;
    contact: string;
    scope: store.ScopeRow;
  },
): Promise<MerchantsSent> {
  const inScope = await store.scopeMerchantIds(tx, r.scope.id);
  const told = new Set(await store.notifiedMerchants(tx, r.incidentId));
  const fresh = inScope.filter((m) => !told.has(m));
  assert(fresh.length <= NOTICE_CUSTOMERS_MAX, 'too many merchants for one notice run');
  const alreadyNotified = inScope.length - fresh.length;
  const sent = { merchants: fresh.length, emails: 0, alreadyNotified };
  if (fresh.length === 0) return sent;
  const facts = await store.scopeMerchantFacts(tx, r.scope.id, fresh);
  const window = r.scope.indicators as { from?: string; to?: string };
  const factsOf = new Map(
    facts.map((f) => [
      f.merchant_id,
      {
        merchantId: f.merchant_id,
        ...{ payments: f.payments, amountMinor: f.amount_minor, stores: f.stores },
        ...{ from: window.from ?? '', to: window.to ?? '', contact: r.contact },
      },
    ]),
  );
  const refs = fresh.map(() => publicId('mnt'));
  const eventIds = await ports.emitEvents(
    tx,
    fresh.map((m, i) => ({
      merchantId: m,
      type: MERCHANT_NOTICE_EVENT,
      object: merchantNoticeObject(refs[i]!, r.incidentId, factsOf.get(m)!, r.at),
      orderKey: r.incidentId,
    })),
  );
  const people = await ports.people(tx, fresh);
  const emails = people.map((p) => ({ ...p, ref: publicId('mnt') }));
  await store.insertMerchantNotices(tx, { ...r, scopeId: r.scope.id }, [
    ...fresh.map((m, i) => ({
      ...{ ref: refs[i]!, merchant_id: m, channel: 'webhook' as const },
      ...{ event_id: eventIds[i]!, person_id: null },
    })),
    ...emails.map((p) => ({
      ...{ ref: p.ref, merchant_id: p.merchantId, channel: 'email' as const },
      ...{ event_id: null, person_id: p.personId },
    })),
  ]);
  const messages: NotifyMessage[] = emails.map((p) => ({
    ...merchantNotice(p.email, factsOf.get(p.merchantId)!),
    ref: p.ref,
  }));
  if (messages.length > 0) {
    await outbox.enqueue(
      tx,
      messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
    );
  }
  return { ...sent, emails: emails.length };
}

/** data.object of the incident.merchant_notice event (docs/webhooks.md). */
function merchantNoticeObject(ref: string, incidentId: string, f: MerchantFacts, at: Date) {
  return {
    id: ref,
    object: 'incident_notice',
    incident: incidentId,
    created: Math.floor(at.getTime() / 1000),
    window: { from: f.from, to: f.to },
    affected: {
      payments: f.payments,
      amount: f.amountMinor.toString(),
      currency: 'JPY',
      stores: f.stores,
    },
    contact: f.contact,
  };
}

function summarise(
  scopeId: string,
  fresh: store.NoticeRow[],
  inScope: number,
): Omit<NoticesSent, 'merchants'> {
  const customers = new Set(fresh.map((n) => n.customer_id)).size;
  return {
    scopeId,
    customers,
    email: fresh.filter((n) => n.channel === 'email').length,
    sms: fresh.filter((n) => n.channel === 'sms').length,
    alreadyNotified: inScope - customers,
  };
}

// --- Delivery state ------------------------------------------------------------------------

/** The notify worker's reports, applied to the notices they name (main.ts wires it). */
export async function recordDeliveries(
  db: Db,
  reports: readonly { ref: string; state: store.NoticeState; at: Date; error?: string }[],
): Promise<number> {
  const ours = reports.filter((r) => /^(ntc|mnt)_/.test(r.ref));
  if (ours.length === 0) return 0;
  return store.applyDeliveryReports(
    db,
    ours.map((r) => ({ ...r, error: r.error ?? null })),
  );
}

const STATES = ['queued', 'sent', 'delivered', 'failed'] as const;
type Counts = Record<(typeof STATES)[number], number>;

interface NoticeOverview {
  customers: { email: Counts; sms: Counts };
  merchants: { webhook: Counts & { no_endpoint: number }; email: Counts };
}

const zero = (): Counts => ({ queued: 0, sent: 0, delivered: 0, failed: 0 });

/**
 * Counts of an incident's notices per audience, channel and delivery state. The webhook
 * notices' state is their events' (the webhooks module keeps it), read now.
 */
export async function noticeOverview(
  db: Db,
  ports: Pick<MerchantNoticePorts, 'eventStates'>,
  incidentId: string,
): Promise<NoticeOverview> {
  const o: NoticeOverview = {
    customers: { email: zero(), sms: zero() },
    merchants: { webhook: { ...zero(), no_endpoint: 0 }, email: zero() },
  };
  for (const row of await store.noticeStates(db, incidentId)) {
    const channel = row.channel as 'email' | 'sms';
    if (row.audience === 'customer') o.customers[channel][row.state] += row.n;
    else if (row.channel === 'email') o.merchants.email[row.state] += row.n;
  }
  const hooks = await store.merchantWebhookNotices(db, incidentId);
  const states = await ports.eventStates(
    db,
    hooks.map((h) => h.event_id),
  );
  for (const h of hooks) o.merchants.webhook[states.get(h.event_id) ?? 'queued'] += 1;
  return o;
}

/** A page of an incident's notices, webhook ones with their events' state. */
export async function listNotices(
  db: Db,
  ports: Pick<MerchantNoticePorts, 'eventStates'>,
  incidentId: string,
  q: { state: store.NoticeState | null; after: string | null; limit: number },
) {
  const rows = await store.listNotices(db, incidentId, q);
  const events = rows.flatMap((r) => r.event_id ?? []);
  const states = events.length > 0 ? await ports.eventStates(db, events) : new Map();
  return rows.map((r) => ({
    ...r,
    state: r.event_id === null ? r.state : (states.get(r.event_id) ?? 'queued'),
  }));
}

type RetryResult = 'queued' | 'delivered' | 'not_failed' | 'not_found' | 'webhook';

/**
 * Queues failed email and SMS notices again, all of an incident's or those named: each is
 * rebuilt (a fresh freeze link for a customer) and put on the outbox with its ref, in one
 * transaction with the timeline event. A notice that was delivered is never sent again; a
 * named one that cannot be retried is answered by name (delivered, not_failed, not_found,
 * webhook: the merchant resends those from the dashboard).
 */
export async function retryNotices(
  deps: IncidentDeps & { sql: Sql },
  ports: NoticePorts,
  r: { incidentId: string; refs: readonly string[] | null; actor: IncidentActor },
): Promise<{ retried: number; results: { ref: string; result: RetryResult }[] }> {
  return deps.sql.begin(async (tx) => {
    if (!(await store.lockIncident(tx, r.incidentId))) {
      throw incidentsError('incident_not_found', { param: 'id' });
    }
    const at = deps.clock.now();
    const before = r.refs ? await store.noticeStatesByRef(tx, r.incidentId, r.refs) : [];
    const queued = await store.requeueFailed(tx, r.incidentId, r.refs, at);
    await enqueueRetries(tx, ports, queued);
    const again = new Set(queued.map((q) => q.ref));
    const stateOf = new Map(before.map((b) => [b.ref, b]));
    const results = (r.refs ?? []).map((ref) => {
      const b = stateOf.get(ref);
      const result: RetryResult = again.has(ref)
        ? 'queued'
        : !b
          ? 'not_found'
          : b.channel === 'webhook'
            ? 'webhook'
            : b.state === 'delivered'
              ? 'delivered'
              : 'not_failed';
      return { ref, result };
    });
    if (queued.length > 0) {
      await appendTimeline(tx, deps, r.incidentId, {
        kind: 'notice.retried',
        summary: `${queued.length} failed notices queued again.`,
        actor: r.actor,
        detail: { refs: queued.map((q) => q.ref) },
      });
    }
    return { retried: queued.length, results };
  });
}

/** The messages of notices queued again, rebuilt from their rows. */
async function enqueueRetries(
  tx: Tx,
  ports: NoticePorts,
  rows: readonly store.RetryRow[],
): Promise<void> {
  const customers = rows.filter((q) => q.customer_id !== null);
  const merchants = rows.filter((q) => q.merchant_id !== null);
  const contacts = await ports.contacts(
    tx,
    customers.map((c) => c.customer_id!),
  );
  const by = new Map(contacts.map((c) => [c.id, c]));
  const links = await ports.freezeLinks(
    tx,
    customers.map((c) => c.customer_id!),
  );
  const messages: NotifyMessage[] = [];
  for (const [i, q] of customers.entries()) {
    const c = by.get(q.customer_id!);
    if (!c) continue;
    const [email, sms] = incidentNotices({
      ...{ email: c.email, phone: c.phone, contact: q.contact },
      freezeLinks: { email: links[i]!, phone: links[i]! },
    });
    messages.push({ ...(q.channel === 'email' ? email! : sms!), ref: q.ref });
  }
  const people = await ports.merchants.people(tx, [
    ...new Set(merchants.map((m) => m.merchant_id!)),
  ]);
  const emailOf = new Map(people.map((p) => [p.personId, p.email]));
  const facts = await merchantFactsForRetry(tx, merchants);
  for (const q of merchants) {
    const email = emailOf.get(q.person_id!);
    const f = facts.get(q.ref);
    if (email && f) messages.push({ ...merchantNotice(email, f), ref: q.ref });
  }
  if (messages.length === 0) return;
  await ports.enqueue(
    tx,
    messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
  );
}

/** The facts each merchant email told, again, from the scope run it was sent from. */
async function merchantFactsForRetry(
  tx: Tx,
  rows: readonly store.RetryRow[],
): Promise<Map<string, MerchantFacts>> {
  const out = new Map<string, MerchantFacts>();
  for (const scopeId of new Set(rows.map((r) => r.scope_id))) {
    const mine = rows.filter((r) => r.scope_id === scopeId);
    const scope = await store.scopeById(tx, scopeId);
    const window = (scope?.indicators ?? {}) as { from?: string; to?: string };
    const facts = await store.scopeMerchantFacts(tx, scopeId, [
      ...new Set(mine.map((r) => r.merchant_id!)),
    ]);
    const of = new Map(facts.map((f) => [f.merchant_id, f]));
    for (const r of mine) {
      const f = of.get(r.merchant_id!);
      if (!f) continue;
      out.set(r.ref, {
        merchantId: f.merchant_id,
        ...{ payments: f.payments, amountMinor: f.amount_minor, stores: f.stores },
        ...{ from: window.from ?? '', to: window.to ?? '', contact: r.contact },
      });
    }
  }
  return out;
}
