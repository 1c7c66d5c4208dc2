-- 0020_webhooks_event_order: events about one object reach each endpoint in the order they
-- happened.
--
-- Deliveries were attempted in parallel and retried independently, so payment.succeeded
-- could arrive after the refund.succeeded of the same payment, or a retried
-- payment.created after it. An event now names its order key (the object whose events must
-- stay in order: a payment's id, also for its refunds) and carries seq, its place in emission
-- order. A delivery waits while the same endpoint has an earlier event of the same key still
-- pending, or an earlier one not yet fanned out (fanned_out_at is null) that it subscribes
-- to. Events written before this migration have no key and are not ordered.

alter table webhooks_events add column seq bigint generated always as identity;
alter table webhooks_events add column order_key text;
alter table webhooks_events add column fanned_out_at timestamptz;
create index webhooks_events_order on webhooks_events (merchant_id, order_key, seq)
  where order_key is not null;
