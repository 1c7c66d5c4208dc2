-- A delivered outbox event is deleted rather than marked.
--
-- The outbox is transport, not record: what happened is in the audit log and the domain
-- tables (payments, receipts, webhook events and their delivery log). Marking a delivered
-- event wrote a new version of its row that stayed forever, so the table grew with every
-- payment and each completion cost an update with its index entries. Deleting it costs
-- less and leaves only pending and dead-lettered events, which operators look at.

delete from outbox_events where delivered_at is not null;
drop index outbox_events_pending;
alter table outbox_events drop column delivered_at;
create index outbox_events_pending on outbox_events (topic, available_at, id)
  where dead_at is null;
