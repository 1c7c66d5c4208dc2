import {
  BinaryRows,
  binaryCopy,
  copyIn,
  textArray,
  type Db,
  type Sql,
  type Tx,
} from '../db/index.ts';

// The webhooks module's only SQL: endpoints, secrets, events, deliveries and attempts.

export interface EndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  status: 'enabled' | 'disabled';
  created_at: Date;
  deleted_at: Date | null;
}

export interface SecretRow {
  id: string;
  endpoint_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  display_prefix: string;
  created_at: Date;
  expires_at: Date | null;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  endpoint_id: string;
  merchant_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date | null;
  give_up_at: Date;
  created_at: Date;
  last_attempt_at: Date | null;
  last_status: number | null;
}

export interface AttemptRow {
  id: bigint;
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  duration_ms: number;
  response_snippet: string | null;
  error: string | null;
  manual: boolean;
}

export async function insertEndpoint(tx: Tx, row: EndpointRow): Promise<void> {
  await tx`
    insert into webhooks_endpoints (id, merchant_id, url, event_types, description, status,
                                    created_at)
    values (${row.id}, ${row.merchant_id}, ${row.url}, ${row.event_types}, ${row.description},
            ${row.status}, ${row.created_at})`;
}

export async function endpointById(db: Db, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db<EndpointRow[]>`
    select * from webhooks_endpoints where id = ${id} and deleted_at is null`;
  return row;
}

export async function listEndpoints(db: Db, merchantId: string): Promise<EndpointRow[]> {
  return db<EndpointRow[]>`
    select * from webhooks_endpoints where merchant_id = ${merchantId} and deleted_at is null
    order by created_at, id`;
}

export async function countEndpoints(tx: Tx, merchantId: string): Promise<number> {
  const [r] = await tx<{ n: number }[]>`
    select count(*)::int as n from webhooks_endpoints
    where merchant_id = ${merchantId} and deleted_at is null`;
  return r?.n ?? 0;
}

/** Serialises endpoint creation per merchant so that the per-merchant limit holds. */
export async function lockMerchant(tx: Tx, merchantId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('webhooks.endpoints'), hashtext(${merchantId}))`;
}

export async function updateEndpoint(
  tx: Tx,
  id: string,
  patch: Pick<EndpointRow, 'url' | 'event_types' | 'description' | 'status'>,
): Promise<void> {
  await tx`
    update webhooks_endpoints
    set url = ${patch.url}, event_types = ${patch.event_types},
        description = ${patch.description}, status = ${patch.status}
    where id = ${id}`;
}

export async function deleteEndpoint(tx: Tx, id: string, now: Date): Promise<void> {
  await tx`update webhooks_endpoints set deleted_at = ${now} where id = ${id}`;
  // Nothing more is sent to a deleted endpoint.
  await tx`
    update webhooks_deliveries set status = 'failed', next_attempt_at = null
    where endpoint_id = ${id} and status = 'pending'`;
}

export async function insertSecret(tx: Tx, row: SecretRow): Promise<void> {
  await tx`
    insert into webhooks_secrets (id, endpoint_id, nonce, ciphertext, tag, display_prefix,
                                  created_at, expires_at)
    values (${row.id}, ${row.endpoint_id}, ${row.nonce}, ${row.ciphertext}, ${row.tag},
            ${row.display_prefix}, ${row.created_at}, ${row.expires_at})`;
}

/** Secrets that sign now: the current one and any still inside a rotation's overlap. */
export async function signingSecrets(db: Db, endpointId: string, now: Date): Promise<SecretRow[]> {
  return db<SecretRow[]>`
    select * from webhooks_secrets
    where endpoint_id = ${endpointId} and (expires_at is null or expires_at > ${now})
    order by (expires_at is null) desc, created_at desc`;
}

/** Ends the current secret's sole reign: it signs until expiresAt beside its successor. */
export async function expireCurrentSecrets(
  tx: Tx,
  endpointId: string,
  expiresAt: Date,
): Promise<void> {
  await tx`
    update webhooks_secrets set expires_at = ${expiresAt}
    where endpoint_id = ${endpointId} and expires_at is null`;
  // A secret from an earlier rotation never outlives the newest old one.
  await tx`
    update webhooks_secrets set expires_at = ${expiresAt}
    where endpoint_id = ${endpointId} and expires_at > ${expiresAt}`;
}

export interface NewEventRow {
  id: string;
  merchant_id: string;
  type: string;
  order_key: string;
  body: string;
}

/** Records events (their exact bodies), all created at `now`, with one insert. */
export async function insertEvents(tx: Tx, rows: readonly NewEventRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await insertEventRows(tx, rows, now, null);
}

/** The insert of insertEvents, with the time the events were fanned out (null: not yet). */
async function insertEventRows(
  tx: Tx,
  rows: readonly NewEventRow[],
  now: Date,
  fannedOutAt: Date | null,
): Promise<void> {
  // with ordinality: seq follows the order of the batch, which is the order of emission.
  await tx`
    insert into webhooks_events (id, merchant_id, type, order_key, body, created_at,
                                 fanned_out_at)
    select id, merchant_id, type, order_key, body, ${now}, ${fannedOutAt}::timestamptz
    from unnest(${textArray(rows.map((r) => r.id))}::text[],
                ${textArray(rows.map((r) => r.merchant_id))}::text[],
                ${textArray(rows.map((r) => r.type))}::text[],
                ${textArray(rows.map((r) => r.order_key))}::text[],
                ${textArray(rows.map((r) => r.body))}::text[])
      with ordinality as u(id, merchant_id, type, order_key, body, n)
    order by n`;
}

/** Fanned-out events from which they go as a binary COPY rather than an INSERT. */
const COPY_EVENTS_MIN = 64;
/** Events per chunk of that COPY: the server inserts one while Node makes the next. */
const COPY_CHUNK_EVENTS = 1024;

/**
 * The events as binary COPY rows, made a chunk at a time as the COPY asks for them. In
 * binary the bodies go as their bytes: as a text[] literal every quote of every body was
 * escaped in Node and unescaped by PostgreSQL, which cost more than the rows' insert.
 */
function* eventCopyRows(
  rows: readonly NewEventRow[],
  nowMs: number,
  fannedOutMs: number | null,
): Generator<Buffer> {
  const out = new BinaryRows();
  for (let from = 0; from < rows.length; from += COPY_CHUNK_EVENTS) {
    const to = Math.min(rows.length, from + COPY_CHUNK_EVENTS);
    for (let i = from; i < to; i++) {
      const r = rows[i]!;
      out.row(7).text(r.id).text(r.merchant_id).text(r.type).text(r.order_key).text(r.body);
      out.timestamptz(nowMs).timestamptz(fannedOutMs);
    }
    yield out.take();
  }
}

/**
 * Records events already fanned out, for a caller that is itself background work (receipts):
 * the events, marked fanned out, and one pending delivery per enabled endpoint subscribed to
 * each, after one read of the merchants' endpoints. No outbox event and no second write of
 * the event row. A few events go as one INSERT sent with the deliveries' insert; from
 * COPY_EVENTS_MIN on, as a binary COPY (which needs the connection alone), then the
 * deliveries. Returns how many deliveries were created.
 */
export async function insertEventsFannedOut(
  tx: Tx,
  rows: readonly NewEventRow[],
  now: Date,
  giveUpAt: Date,
  newId: () => string,
): Promise<number> {
  if (rows.length === 0) return 0;
  const merchants = [...new Set(rows.map((r) => r.merchant_id))];
  const endpoints = await tx<{ id: string; merchant_id: string; event_types: string[] }[]>`
    select id, merchant_id, event_types from webhooks_endpoints
    where merchant_id = any(${merchants}::text[]) and deleted_at is null and status = 'enabled'
    order by id`;
  // Pairs in event order, then endpoint id: the order fanOutMany inserts them in.
  const pairs = rows.flatMap((r) =>
    endpoints
      .filter((ep) => ep.merchant_id === r.merchant_id)
      .filter((ep) => ep.event_types.includes(r.type) || ep.event_types.includes('*'))
      .map((ep) => ({ event_id: r.id, endpoint_id: ep.id, merchant_id: r.merchant_id })),
  );
  const col = (k: keyof (typeof pairs)[number]) => pairs.map((p) => p[k]);
  const deliveries = () =>
    tx`
      insert into webhooks_deliveries (id, event_id, endpoint_id, merchant_id, status,
                                       next_attempt_at, give_up_at, created_at)
      select d, event_id, endpoint_id, merchant_id, 'pending', ${now}, ${giveUpAt}, ${now}
      from unnest(${pairs.map(() => newId())}::text[], ${col('event_id')}::text[],
                  ${col('endpoint_id')}::text[], ${col('merchant_id')}::text[])
        as x(d, event_id, endpoint_id, merchant_id)`;
  if (rows.length >= COPY_EVENTS_MIN) {
    // COPY inserts the rows in the order sent, so seq follows the order of emission.
    await copyIn(
      tx`copy webhooks_events (id, merchant_id, type, order_key, body, created_at,
                               fanned_out_at)
         from stdin (format binary)`,
      binaryCopy(eventCopyRows(rows, now.getTime(), now.getTime())),
    );
    if (pairs.length > 0) await deliveries();
    return pairs.length;
  }
  const events = insertEventRows(tx, rows, now, now);
  // Both are awaited before a failure is reported: none may still run when the caller's
  // transaction rolls back.
  const [a, b] = await Promise.allSettled([events, pairs.length > 0 && deliveries()]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return pairs.length;
}

/** Marks events fanned out: later events of the same order key need not wait for them. */
async function markFannedOut(tx: Tx, eventIds: readonly string[], now: Date): Promise<void> {
  await tx`
    update webhooks_events set fanned_out_at = ${now}
    where id = any(${eventIds as string[]}::text[]) and fanned_out_at is null`;
}

export async function eventCreatedAt(db: Db, eventId: string): Promise<Date | undefined> {
  const [row] = await db<{ created_at: Date }[]>`
    select created_at from webhooks_events where id = ${eventId}`;
  return row?.created_at;
}

/** Creates one delivery per enabled endpoint subscribed to the event; repeats are no-ops. */
export async function fanOut(
  tx: Tx,
  eventId: string,
  now: Date,
  giveUpAt: Date,
  newId: () => string,
): Promise<number> {
  const [event] = await tx<{ merchant_id: string; type: string }[]>`
    select merchant_id, type from webhooks_events where id = ${eventId}`;
  if (!event) return 0;
  await markFannedOut(tx, [eventId], now);
  const endpoints = await tx<{ id: string }[]>`
    select id from webhooks_endpoints
    where merchant_id = ${event.merchant_id} and deleted_at is null and status = 'enabled'
      and (${event.type} = any(event_types) or '*' = any(event_types))`;
  if (endpoints.length === 0) return 0;
  const ids = endpoints.map(() => newId());
  const rows = await tx`
    insert into webhooks_deliveries (id, event_id, endpoint_id, merchant_id, status,
                                     next_attempt_at, give_up_at, created_at)
    select d, ${eventId}, e, ${event.merchant_id}, 'pending', ${now}, ${giveUpAt}, ${now}
    from unnest(${tx.array(ids)}::text[], ${tx.array(endpoints.map((e) => e.id))}::text[])
      as x(d, e)
    on conflict (event_id, endpoint_id) do nothing`;
  return rows.count;
}

/**
 * fanOut() for many events at once: every (event, subscribed endpoint) pair gets a pending
 * delivery, with one read and one insert. Returns how many deliveries were created.
 */
export async function fanOutMany(
  tx: Tx,
  eventIds: readonly string[],
  now: Date,
  giveUpAfterSeconds: number,
  newId: () => string,
): Promise<number> {
  if (eventIds.length === 0) return 0;
  await markFannedOut(tx, eventIds, now);
  const pairs = await tx<{ event_id: string; endpoint_id: string; merchant_id: string }[]>`
    select ev.id as event_id, ep.id as endpoint_id, ev.merchant_id
    from webhooks_events ev
    join webhooks_endpoints ep
      on ep.merchant_id = ev.merchant_id and ep.deleted_at is null and ep.status = 'enabled'
     and (ev.type = any(ep.event_types) or '*' = any(ep.event_types))
    where ev.id = any(${eventIds as string[]}::text[])
    order by ev.id, ep.id`;
  if (pairs.length === 0) return 0;
  const col = (k: keyof (typeof pairs)[number]) => pairs.map((p) => p[k]);
  const rows = await tx`
    insert into webhooks_deliveries (id, event_id, endpoint_id, merchant_id, status,
                                     next_attempt_at, give_up_at, created_at)
    select d, x.event_id, x.endpoint_id, x.merchant_id, 'pending', ${now},
           ev.created_at + make_interval(secs => ${giveUpAfterSeconds}), ${now}
    from unnest(${pairs.map(() => newId())}::text[], ${col('event_id')}::text[],
                ${col('endpoint_id')}::text[], ${col('merchant_id')}::text[])
      as x(d, event_id, endpoint_id, merchant_id)
    join webhooks_events ev on ev.id = x.event_id
    on conflict (event_id, endpoint_id) do nothing`;
  return rows.count;
}

export interface DueDelivery extends DeliveryRow {
  url: string;
  body: string;
}

/**
 * Claims due deliveries: each is pushed to leaseUntil, so another worker skips it and a
 * worker that dies mid-attempt only delays it. A delivery whose event has an order key waits
 * while the same endpoint has an earlier event of that key (lower seq) still pending — being
 * attempted, or waiting for a retry — or not yet fanned out though the endpoint subscribes
 * to its type: an endpoint gets one object's events one at a time, in the order they happened.
 */
export async function claimDue(
  sql: Sql,
  now: Date,
  leaseUntil: Date,
  max: number,
  /** Merchants whose deliveries a kill switch pauses: not claimed. */
  pausedMerchantIds: readonly string[] = [],
): Promise<DueDelivery[]> {
  return sql<DueDelivery[]>`
    with due as (
      select d.id from webhooks_deliveries d
      join webhooks_events ev on ev.id = d.event_id
      join webhooks_endpoints ep on ep.id = d.endpoint_id
      where d.status = 'pending' and d.next_attempt_at <= ${now}
        and d.merchant_id <> all(${pausedMerchantIds as string[]}::text[])
        and (ev.order_key is null or not exists (
          select 1 from webhooks_events e2
          left join webhooks_deliveries d2
            on d2.event_id = e2.id and d2.endpoint_id = d.endpoint_id
          where e2.merchant_id = ev.merchant_id and e2.order_key = ev.order_key
            and e2.seq < ev.seq
            and (d2.status = 'pending'
              or (e2.fanned_out_at is null
                and (e2.type = any(ep.event_types) or '*' = any(ep.event_types))))))
      -- Due at the same instant, events go in the order they happened (seq), not in
      -- whatever order the plan reads the rows.
      order by d.next_attempt_at, ev.seq
      limit ${max}
      for update of d skip locked
    )
    update webhooks_deliveries d set next_attempt_at = ${leaseUntil}
    from due, webhooks_endpoints ep, webhooks_events ev
    where d.id = due.id and ep.id = d.endpoint_id and ev.id = d.event_id
    returning d.*, ep.url, ev.body`;
}

export async function recordAttempt(
  tx: Tx,
  attempt: Omit<AttemptRow, 'id'>,
  outcome: { status: DeliveryRow['status']; nextAttemptAt: Date | null },
): Promise<void> {
  await tx`
    insert into webhooks_attempts (delivery_id, attempted_at, status_code, duration_ms,
                                   response_snippet, error, manual)
    values (${attempt.delivery_id}, ${attempt.attempted_at}, ${attempt.status_code},
            ${attempt.duration_ms}, ${attempt.response_snippet}, ${attempt.error},
            ${attempt.manual})`;
  await tx`
    update webhooks_deliveries
    set status = ${outcome.status}, next_attempt_at = ${outcome.nextAttemptAt},
        attempts = attempts + 1, last_attempt_at = ${attempt.attempted_at},
        last_status = ${attempt.status_code}
    where id = ${attempt.delivery_id}`;
}

export interface EventDeliveryRow {
  id: string;
  fanned_out: boolean;
  deliveries: number;
  succeeded: number;
  pending: number;
  retrying: number;
}

/** How each event's deliveries stand, per event. */
export async function eventDeliveries(
  db: Db,
  eventIds: readonly string[],
): Promise<EventDeliveryRow[]> {
  return db<EventDeliveryRow[]>`
    select e.id, e.fanned_out_at is not null as fanned_out, count(d.id)::int as deliveries,
      count(d.id) filter (where d.status = 'succeeded')::int as succeeded,
      count(d.id) filter (where d.status = 'pending')::int as pending,
      count(d.id) filter (where d.status = 'pending' and d.attempts > 0)::int as retrying
    from webhooks_events e left join webhooks_deliveries d on d.event_id = e.id
    where e.id = any(${eventIds as string[]}::text[])
    group by e.id`;
}

export async function deliveryById(db: Db, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await db<DeliveryRow[]>`select * from webhooks_deliveries where id = ${id}`;
  return row;
}

/** A delivery's place in its endpoint's list: (created_at, id), the order deliveries list in. */
export interface DeliveryCursor {
  created_at: Date;
  id: string;
}

export async function deliveryCursor(
  db: Db,
  endpointId: string,
  id: string,
): Promise<DeliveryCursor | undefined> {
  const [row] = await db<DeliveryCursor[]>`
    select created_at, id from webhooks_deliveries
    where id = ${id} and endpoint_id = ${endpointId}`;
  return row;
}

/**
 * One page of an endpoint's deliveries, newest first (oldest first after `after`, so the page
 * is the nearest ones): limit + 1 rows, so the caller knows whether there are more.
 */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  f: {
    limit: number;
    before?: DeliveryCursor | undefined;
    after?: DeliveryCursor | undefined;
    createdGte?: Date | undefined;
    createdLt?: Date | undefined;
  },
): Promise<DeliveryRow[]> {
  const { before, after } = f;
  return db<DeliveryRow[]>`
    select * from webhooks_deliveries where endpoint_id = ${endpointId}
      ${before ? db`and (created_at, id) < (${before.created_at}, ${before.id})` : db``}
      ${after ? db`and (created_at, id) > (${after.created_at}, ${after.id})` : db``}
      ${f.createdGte !== undefined ? db`and created_at >= ${f.createdGte}` : db``}
      ${f.createdLt !== undefined ? db`and created_at < ${f.createdLt}` : db``}
    order by ${after ? db`created_at asc, id asc` : db`created_at desc, id desc`}
    limit ${f.limit + 1}`;
}

export async function listAttempts(db: Db, deliveryId: string): Promise<AttemptRow[]> {
  return db<AttemptRow[]>`
    select * from webhooks_attempts where delivery_id = ${deliveryId} order by id`;
}

/** Claims one delivery for a manual resend, whatever its status. */
export async function claimOne(
  sql: Sql,
  id: string,
  leaseUntil: Date,
  giveUpAt: Date,
): Promise<DueDelivery | undefined> {
  const [row] = await sql<DueDelivery[]>`
    update webhooks_deliveries d
    set status = 'pending', next_attempt_at = ${leaseUntil}, give_up_at = ${giveUpAt}
    from webhooks_endpoints ep, webhooks_events ev
    where d.id = ${id} and ep.id = d.endpoint_id and ev.id = d.event_id
      and ep.deleted_at is null
    returning d.*, ep.url, ev.body`;
  return row;
}
