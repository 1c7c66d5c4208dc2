-- 0009_payments: the wallet (customers' linked cards, limits, top-ups), code payments at the
-- register (one-time payment codes stored only as HMACs, payments, refunds), store payments
-- (merchant-presented QR), the guessing counters per terminal and merchant, and the risk
-- module's velocity counters and decisions. Money itself lives only in the ledger; these
-- rows refer to ledger transfers, customers, devices, merchants, stores and terminals by id.
--
-- Payment codes are stored only as HMAC-SHA256 under a key kept in a file outside the
-- database (payments/keys.ts): a copy of this table cannot be turned back into codes, and
-- the 19 random digits (63 bits) of a code cannot be brute-forced against its HMAC offline.

-- Cards a customer linked to the wallet (vault tokens; the vault keeps the card itself).
create table payments_cards (
  card_token   text primary key check (card_token ~ '^card_[A-Za-z0-9_-]{22,64}$'),
  customer_id  uuid not null,
  brand        text not null,
  last4        text not null check (last4 ~ '^[0-9]{4}$'),
  created_at   timestamptz not null,
  removed_at   timestamptz
);
create index payments_cards_customer on payments_cards (customer_id) where removed_at is null;

-- A top-up: card charge first (outside any transaction), wallet credit after it succeeded.
-- The ledger transfer id is derived from the top-up id, so a retry can never credit twice.
create table payments_topups (
  id                text primary key check (id ~ '^tu_[A-Za-z0-9_-]{16,64}$'),
  customer_id       uuid not null,
  device_id         uuid,
  card_token        text not null,
  amount_minor      bigint not null check (amount_minor > 0),
  currency          text not null check (currency ~ '^[A-Z]{3}$'),
  status            text not null check (status in
                      ('processing', 'requires_action', 'succeeded', 'failed')),
  authorization_id  text,
  failure_code      text,
  transfer_id       uuid not null unique,
  risk_decision     text not null check (risk_decision in ('allow', 'step_up', 'review', 'block')),
  risk_reasons      text[] not null default '{}',
  receipt_sent_at   timestamptz,
  created_at        timestamptz not null,
  updated_at        timestamptz not null
);
create index payments_topups_customer on payments_topups (customer_id, created_at desc, id desc);

-- One-time payment codes (CPM): only the HMAC, bound to customer and device, single use.
create table payments_codes (
  hmac         bytea primary key check (length(hmac) = 32),
  customer_id  uuid not null,
  device_id    uuid not null,
  expires_at   timestamptz not null,
  created_at   timestamptz not null,
  used_at      timestamptz,
  payment_id   text
);
create index payments_codes_customer on payments_codes (customer_id, expires_at);
create index payments_codes_expires on payments_codes (expires_at);

-- Payments from a wallet to a merchant: method cpm (the register scanned the customer's
-- code) or mpm (the customer scanned the store's QR).
create table payments_payments (
  id               text primary key check (id ~ '^pay_[A-Za-z0-9_-]{16,64}$'),
  method           text not null check (method in ('cpm', 'mpm')),
  merchant_id      text not null,
  store_id         text not null,
  terminal_id      text,
  customer_id      uuid not null,
  device_id        uuid,
  amount_minor     bigint not null check (amount_minor > 0),
  refunded_minor   bigint not null default 0 check (refunded_minor between 0 and amount_minor),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  transfer_id      uuid not null unique,
  risk_decision    text not null check (risk_decision in ('allow', 'step_up', 'review', 'block')),
  risk_reasons     text[] not null default '{}',
  receipt_sent_at  timestamptz,
  created_at       timestamptz not null
);
create index payments_payments_customer on payments_payments (customer_id, created_at desc, id desc);
create index payments_payments_merchant on payments_payments (merchant_id, created_at desc);

create table payments_refunds (
  id               text primary key check (id ~ '^pre_[A-Za-z0-9_-]{16,64}$'),
  payment_id       text not null references payments_payments (id),
  merchant_id      text not null,
  customer_id      uuid not null,
  amount_minor     bigint not null check (amount_minor > 0),
  currency         text not null,
  transfer_id      uuid not null unique,
  reason           text,
  receipt_sent_at  timestamptz,
  created_at       timestamptz not null
);
create index payments_refunds_payment on payments_refunds (payment_id);
create index payments_refunds_customer on payments_refunds (customer_id, created_at desc, id desc);

-- Idempotency of the register's POST /v1/code_payments, written in the same transaction as
-- the payment (the micro-batch): the key, the request's fingerprint and the first answer
-- (errors included) commit together with the money, so there is no window in which money
-- moved but the answer to replay was not stored.
create table payments_idempotency (
  scope        text not null,
  key          text not null,
  fingerprint  bytea not null,
  status_code  int not null,
  body         text not null,
  created_at   timestamptz not null,
  primary key (scope, key)
);
create index payments_idempotency_created on payments_idempotency (created_at);

-- Failed code verifications (wrong, expired, used) per terminal and per merchant, in fixed
-- windows: guessing is refused with 429 once a window's count reaches its limit.
create table payments_guess_counters (
  scope         text not null,
  window_start  timestamptz not null,
  failures      int not null,
  primary key (scope, window_start)
);

-- Risk: the customer's own lower limits, and the amounts used per day and per month.
create table risk_customer_limits (
  customer_id          uuid primary key,
  per_topup_minor      bigint check (per_topup_minor > 0),
  daily_minor          bigint check (daily_minor > 0),
  monthly_minor        bigint check (monthly_minor > 0),
  updated_at           timestamptz not null
);

create table risk_usage (
  customer_id   uuid not null,
  kind          text not null,
  period        text not null check (period in ('day', 'month')),
  period_start  date not null,
  amount_minor  bigint not null check (amount_minor >= 0),
  count         int not null check (count >= 0),
  primary key (customer_id, kind, period, period_start)
);
