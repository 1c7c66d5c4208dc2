-- 0018_wallet_payments_listed: every movement on a merchant's balance is a balance
-- transaction, and wallet payments are listed like web payments.
--
-- Until now only web payments (captures, refunds) wrote balance transactions; code and store
-- QR payments and their refunds moved the merchant's ledger account without one, so a
-- merchant could not reconcile them. The table loses its web_ prefix because it now serves
-- every kind of payment, and its type says which API its source belongs to:
--   payment, refund           web payments (/v1/payments, /v1/refunds)
--   code_payment, store_payment  wallet payments at a register (cpm) or by store QR (mpm)
--                             (/v1/code_payments)
--   wallet_refund             refunds of wallet payments (/v1/code_refunds)
-- Wallet payments move real wallet money, so their rows are always livemode.

alter table payments_web_balance_transactions rename to payments_balance_transactions;
alter index payments_web_balance_transactions_list rename to payments_balance_transactions_list;
alter table payments_balance_transactions drop constraint payments_web_balance_transactions_type_check;
alter table payments_balance_transactions add constraint payments_balance_transactions_type_check
  check (type in ('payment', 'refund', 'code_payment', 'store_payment', 'wallet_refund'));

-- Lists page by seq (a cursor names an id; its seq is looked up), as web payments do.
alter table payments_payments add column seq bigint generated always as identity unique;
alter table payments_refunds add column seq bigint generated always as identity unique;
create index payments_payments_list on payments_payments (merchant_id, seq);
create index payments_refunds_list on payments_refunds (merchant_id, seq);

-- The wallet payments and refunds made before this migration, oldest first.
insert into payments_balance_transactions (id, merchant_id, livemode, type, source_id,
  transfer_id, amount, currency, created_at)
select 'txn_' || replace(gen_random_uuid()::text, '-', ''), merchant_id, true, type, id,
  transfer_id, amount, currency, created_at
from (
  select merchant_id, case method when 'cpm' then 'code_payment' else 'store_payment' end as type,
    id, transfer_id, amount_minor as amount, currency, created_at
  from payments_payments
  union all
  select merchant_id, 'wallet_refund', id, transfer_id, -amount_minor, currency, created_at
  from payments_refunds
) movements
order by created_at, id
on conflict (transfer_id) do nothing;
