-- Credential-stuffing detections that stay until an operator acknowledges them.
--
-- A source network's counters (identity_source_failures) live for one window and then start
-- over, so a detection read from them vanished with the window, and a slowed source left the
-- operators' list within seconds. A detection is now a row of its own: raised when a source
-- network is blocked, open until an operator acknowledges it (who, when, why), and kept
-- afterwards as the console's history. The acknowledgement is audited as well.
--
-- Sign-in throttles are kept per realm: operator sign-in counts against `operator:<prefix>`
-- rows of identity_source_failures, so customers' failures never block operators.

create table identity_stuffing_detections (
  id                uuid primary key,
  realm             text not null check (realm in ('customer', 'operator')),
  source_prefix     text not null,
  detected_at       timestamptz not null,
  attempts_in_window int not null,
  acknowledged_at   timestamptz,
  acknowledged_by   uuid references identity_operators (id),
  acknowledgement_note text,
  check ((acknowledged_at is null) = (acknowledged_by is null))
);

create index identity_stuffing_detections_recent on identity_stuffing_detections (detected_at desc);
create index identity_stuffing_detections_open on identity_stuffing_detections (detected_at desc)
  where acknowledged_at is null;
