-- 0024_checkout_tables: the card gateway for web shops is its own module, checkout/, and its
-- tables carry its name. Renames only: rows, constraints, triggers and grants stay as they are.

alter table payments_web_payments rename to checkout_payments;
alter index payments_web_payments_list rename to checkout_payments_list;
alter index payments_web_payments_open rename to checkout_payments_open;
alter table payments_web_refunds rename to checkout_refunds;
alter index payments_web_refunds_list rename to checkout_refunds_list;
alter index payments_web_refunds_payment rename to checkout_refunds_payment;
alter index payments_web_refunds_pending rename to checkout_refunds_pending;
