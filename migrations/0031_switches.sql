-- 0031_switches: kill switches. An operator turns a switch on (with a reason, perhaps for an
-- incident) and the operations it names are refused in every process within a second; a
-- switch is lifted only when one operator asks and another approves. A row is one switch's
-- life: on, perhaps a lift request, then lifted. Lifted rows stay as history.
--
-- Committing a change notifies the channel `kinko_switches` (NOTIFY is delivered at commit,
-- so a process never hears of a change that rolled back); each process then reloads the
-- switches that are on, and reloads on a timer too, in case a notification was missed.

create table switches_switches (
  id                text primary key check (id ~ '^sw_[A-Za-z0-9_-]{1,64}$'),
  operation         text not null check (operation in (
    'sign_up', 'login', 'recovery', 'new_devices', 'card_linking', 'topups', 'code_payments',
    'store_qr_payments', 'web_payments', 'refunds', 'webhooks_out', 'everything')),
  scope_type        text not null check (scope_type in (
    'all', 'card_brand', 'bin_range', 'card_type', 'merchant', 'store', 'terminal',
    'customer', 'device', 'source')),
  -- The scope's value in its canonical form (a brand, 'lo-hi' BIN range, a card type, an
  -- id, a CIDR); none when the switch covers every request of its operation.
  scope_value       text check (length(scope_value) between 1 and 200),
  reason            text not null check (length(reason) between 3 and 500),
  incident_id       text check (length(incident_id) between 1 and 64),
  turned_on_by      text not null,
  turned_on_at      timestamptz not null,
  lift_requested_by text,
  lift_requested_at timestamptz,
  lift_reason       text check (length(lift_reason) between 3 and 500),
  lifted_by         text,
  lifted_at         timestamptz,
  check ((scope_type = 'all') = (scope_value is null)),
  check (scope_type <> 'all' or operation <> 'everything'),
  check ((lift_requested_by is null) = (lift_requested_at is null)),
  check ((lifted_by is null) = (lifted_at is null)),
  -- Two operators, always: the one who approves a lift is not the one who asked for it.
  check (lifted_by is null or (lift_requested_by is not null and lifted_by <> lift_requested_by))
);

-- One switch per operation and scope is on at a time.
create unique index switches_on_once on switches_switches (operation, scope_type,
  coalesce(scope_value, '')) where lifted_at is null;
create index switches_history on switches_switches (lifted_at desc) where lifted_at is not null;

-- A lifted switch is history: nothing about it changes again.
create function switches_lifted_final() returns trigger language plpgsql as $$
begin
  if old.lifted_at is not null then
    raise exception 'switch % was lifted; it cannot change', old.id;
  end if;
  return new;
end $$;
create trigger switches_lifted_final before update on switches_switches
  for each row execute function switches_lifted_final();

-- Nor does a switch disappear: its row is the record of who suspended what, and why.
create function switches_kept() returns trigger language plpgsql as $$
begin
  raise exception 'switches are kept; % cannot be deleted', old.id;
end $$;
create trigger switches_kept before delete on switches_switches
  for each row execute function switches_kept();
