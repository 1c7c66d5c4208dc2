import type { Db, Sql, Tx } from '../db/index.ts';
import { NOTIFY_TOPIC } from '../notify/index.ts';
import { assert } from '../lib/assert.ts';
import * as store from './store.ts';
import { incidentNotices } from './notice-messages.ts';
import type { IncidentActor, IncidentDeps } from './timeline.ts';
import { appendTimeline } from './timeline.ts';
import { incidentsError } from './errors.ts';

// Notices: tell every customer in an incident's latest scope run what happened, by email and
// SMS through the outbox. The notice rows, the outbox messages, the timeline event and the
// audit entry commit in one transaction; a notice row's key (incident, customer, channel)
// means a run again after the scope grew reaches only the customers not yet told.

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
}

const NOTICE_CUSTOMERS_MAX = 100_000;

interface NoticesSent {
  scopeId: string;
  customers: number;
  email: number;
  sms: number;
  /** Customers in the scope with contacts who were told before, and not told again. */
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
    const fresh = await store.insertNotices(
      tx,
      { incidentId: r.incidentId, scopeId: scope.id, at, by: r.actor.id ?? null },
      wanted,
    );
    const links = await ports.freezeLinks(
      tx,
      fresh.map((n) => n.customer_id),
    );
    const messages = fresh.map((n, i) => {
      const c = by.get(n.customer_id)!;
      const [email, sms] = incidentNotices({
        ...{ email: c.email, phone: c.phone, contact: r.contact },
        // Each message gets its own link: one used from the email leaves the SMS's valid.
        freezeLinks: { email: links[i]!, phone: links[i]! },
      });
      return n.channel === 'email' ? email! : sms!;
    });
    if (messages.length > 0) {
      await ports.enqueue(
        tx,
        messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
      );
    }
    const sent = summarise(scope.id, fresh, ids.length);
    await appendTimeline(tx, deps, r.incidentId, {
      kind: 'notice.sent',
      summary:
        `Notices sent from scope run ${scope.run}: ${sent.customers} customers ` +
        `(${sent.email} emails, ${sent.sms} SMS); ${sent.alreadyNotified} already notified.`,
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
        detail: { scope_id: scope.id, email: sent.email, sms: sent.sms },
      },
    ]);
    return sent;
  });
}

function summarise(scopeId: string, fresh: store.NoticeRow[], inScope: number): NoticesSent {
  const customers = new Set(fresh.map((n) => n.customer_id)).size;
  return {
    scopeId,
    customers,
    email: fresh.filter((n) => n.channel === 'email').length,
    sms: fresh.filter((n) => n.channel === 'sms').length,
    alreadyNotified: inScope - customers,
  };
}
