-- 0049_hot_updates_room: rows updated once soon after insert leave room for that update,
-- and an index no statement reads is no longer written.
--
-- Migration 0013 left 20–30 % of each page free so that a payment's receipt mark and an
-- outbox lease stay on the row's page (a HOT update: no index entry written). Register
-- payments are written a batch at a time, so consecutive rows fill a page together, and the
-- receipts worker marks them all sent together, in one statement: 20 % of room holds the new
-- versions of a fifth of a page's rows, and the rest moved to another page, each writing
-- an entry into every index of the table (six for a payment). Measured on bench:pay (8,000
-- payments): 2,138 of 7,748 receipt marks were HOT, 3,175 of 8,000 code uses, 3,729 of
-- 7,348 outbox leases; with the room below, all of them. A receipt mark was the costliest
-- statement a payment sent PostgreSQL.
--
-- The room is what the update needs: a little more than half the page where the new
-- version is as large as the old (a payment, a top-up, a refund: receipt_sent_at set; an
-- outbox event: its lease), more where it grows (a code: used_at and payment_id set). Those
-- tables' heaps take about twice the pages; after the update, pruning leaves that room
-- free for later changes (a refund's amount, a retried event). Codes and outbox events are
-- deleted within days (codes) or seconds (events), so for them the room costs nothing
-- that stays.
--
-- Velocity counters (risk_velocity) are upserted many times a minute by every payment at
-- a store or terminal; a HOT update there needs room for one more version until pruning
-- frees the older ones.

alter table payments_payments set (fillfactor = 45);
alter table payments_topups set (fillfactor = 45);
alter table payments_refunds set (fillfactor = 45);
alter table payments_codes set (fillfactor = 40);
alter table outbox_events set (fillfactor = 50);
alter table risk_velocity set (fillfactor = 70);

-- webhooks_events_merchant (merchant_id, created_at, migration 0008) has no reader: events
-- are read by id (the primary key), by a payment's order (webhooks_events_order) and through
-- their deliveries; no statement lists a merchant's events by time. Every receipt wrote an
-- entry into it.
drop index webhooks_events_merchant;
