-- Outbox claims scan only their own topic, and updates leave room to stay on their page.
--
-- Every worker claims one topic (receipts, notifications, webhooks). The pending index was
-- ordered by time across all topics, so a claim walked past every other topic's pending and
-- leased events (and, under load, their dead versions) to find its own: it became the
-- costliest statement of a payment. Ordered by topic first, a claim starts at its topic's
-- oldest event. A claim without topics still works, by scanning and sorting.
--
-- A claim and a completion each write a new version of the row. With free space on the
-- page, PostgreSQL keeps the new version there and (for a claim, which changes no indexed
-- column) adds no index entry. The same holds for payments: receipt_sent_at and
-- refunded_minor change after insert, and no index covers them.

drop index outbox_events_pending;
create index outbox_events_pending on outbox_events (topic, available_at, id)
  where delivered_at is null and dead_at is null;

alter table outbox_events set (fillfactor = 70);
alter table payments_payments set (fillfactor = 80);
alter table payments_topups set (fillfactor = 80);
