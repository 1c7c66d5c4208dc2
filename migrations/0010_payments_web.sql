-- Web payments (payments module, src/payments/web): merchants' web-shop card payments,
-- their refunds and the balance transactions they post on the merchant's ledger account.
--
-- A payment's money lives in the ledger, not here: authorize = a pending transfer
-- card_clearing → merchant (pending_transfer_id), capture = its post, cancel = its void.
-- These tables hold the payment's lifecycle and the amounts the API shows; the amounts are
-- kept ≤ 2^53 − 1 so that the JSON API carries them exactly.
--
-- seq orders lists (cursor pagination by id looks up its seq); ids are public (pay_…).

create table payments_web_payments (
  id                       text primary key,
  seq                      bigint generated always as identity unique,
  merchant_id              text not null,
  livemode                 boolean not null,
  amount                   int8 not null check (amount > 0 and amount <= 9007199254740991),
  currency                 text not null check (currency ~ '^[A-Z]{3}$'),
  capture_method           text not null check (capture_method in ('automatic', 'manual')),
  status                   text not null check (status in ('requires_payment_method',
                             'requires_confirmation', 'requires_action', 'processing',
                             'requires_capture', 'succeeded', 'canceled')),
  -- The card network call a processing payment is making (or whose answer is unknown).
  step                     text check (step in ('authorize', 'capture', 'void')),
  -- While a call runs, no other request may start one for this payment.
  locked_until             timestamptz,
  -- The vault's card token (card_…); never card data.
  card_token               text,
  description              text,
  statement_descriptor     text,
  metadata                 jsonb not null default '{}',
  -- Confirmation attempts: each has its own acquirer idempotency key.
  attempt                  int not null default 0,
  authorization_id         text,
  authorization_expires_at timestamptz,
  pending_transfer_id      uuid,
  amount_capturable        int8 not null default 0 check (amount_capturable >= 0),
  amount_received          int8 not null default 0 check (amount_received >= 0),
  amount_refunded          int8 not null default 0 check (amount_refunded >= 0),
  -- Refunds succeeded plus refunds under way: what a new refund must stay within.
  amount_refund_reserved   int8 not null default 0,
  -- The capture amount of the capture call in flight.
  capture_amount           int8,
  next_action              jsonb,
  last_payment_error       jsonb,
  cancellation_reason      text,
  -- Canceled while a 3-D Secure challenge was open: a hold approved later must be voided.
  release_hold             boolean not null default false,
  created_at               timestamptz not null,
  updated_at               timestamptz not null,
  check ((status = 'processing') = (step is not null)),
  check (amount_capturable <= amount and amount_received <= amount),
  check (amount_refunded <= amount_refund_reserved),
  check (amount_refund_reserved <= amount_received)
);

create index payments_web_payments_list on payments_web_payments (merchant_id, livemode, seq);
-- The reconcile job's work: payments waiting on the card network or on a cardholder.
create index payments_web_payments_open on payments_web_payments (updated_at)
  where status in ('processing', 'requires_action', 'requires_capture') or release_hold;

create table payments_web_refunds (
  id             text primary key,
  seq            bigint generated always as identity unique,
  payment_id     text not null references payments_web_payments (id),
  merchant_id    text not null,
  livemode       boolean not null,
  amount         int8 not null check (amount > 0 and amount <= 9007199254740991),
  currency       text not null check (currency ~ '^[A-Z]{3}$'),
  status         text not null check (status in ('pending', 'succeeded', 'failed')),
  reason         text check (reason in ('duplicate', 'fraudulent', 'requested_by_customer')),
  metadata       jsonb not null default '{}',
  failure_reason text,
  locked_until   timestamptz,
  transfer_id    uuid,
  created_at     timestamptz not null,
  updated_at     timestamptz not null
);

create index payments_web_refunds_list on payments_web_refunds (merchant_id, livemode, seq);
create index payments_web_refunds_payment on payments_web_refunds (payment_id);
create index payments_web_refunds_pending on payments_web_refunds (updated_at)
  where status = 'pending';

-- One row per posted ledger transfer on a merchant's account: a capture (+) or a refund (−).
create table payments_web_balance_transactions (
  id          text primary key,
  seq         bigint generated always as identity unique,
  merchant_id text not null,
  livemode    boolean not null,
  type        text not null check (type in ('payment', 'refund')),
  source_id   text not null,
  transfer_id uuid not null unique,
  amount      int8 not null check (amount <> 0),
  currency    text not null check (currency ~ '^[A-Z]{3}$'),
  created_at  timestamptz not null
);

create index payments_web_balance_transactions_list
  on payments_web_balance_transactions (merchant_id, livemode, seq);
