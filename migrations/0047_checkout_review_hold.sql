-- 0047_checkout_review_hold: web payments held in the risk review queue.
--
-- A `review` decision on a web payment no longer asks for 3-D Secure: the card is authorized
-- (the issuer reserves the funds, nothing is captured) and the payment waits in
-- requires_review until an analyst approves it (captured, or requires_capture for a manual
-- capture) or declines it (the authorization is voided). Its authorization still expires:
-- the reconcile job voids a hold left past authorization_expires_at and cancels the payment.
-- - checkout_payments.review_decision_id: the risk decision (risk_decisions.id) that asked
--   for the review, kept from the confirmation to the authorization's outcome (a 3-D Secure
--   challenge the issuer asks or a timeout can come between); null when none did.
-- - risk_reviews: a web shop's shopper is no Kinko customer, so a review names a customer,
--   a merchant, or both; `closed` is a review ended without a decision (the hold expired or
--   the merchant canceled the payment).

alter table checkout_payments drop constraint payments_web_payments_status_check;
alter table checkout_payments add constraint checkout_payments_status_check check (status in
  ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing',
   'requires_review', 'requires_capture', 'succeeded', 'canceled'));
alter table checkout_payments add column review_decision_id uuid;

-- The reconcile job's work now includes holds under review whose authorization expired.
drop index checkout_payments_open;
create index checkout_payments_open on checkout_payments (updated_at)
  where status in ('processing', 'requires_action', 'requires_review', 'requires_capture')
    or release_hold;

alter table risk_reviews alter column customer_id drop not null;
alter table risk_reviews add column merchant_id text;
alter table risk_reviews add constraint risk_reviews_party
  check (customer_id is not null or merchant_id is not null);
alter table risk_reviews drop constraint risk_reviews_status_check;
alter table risk_reviews add constraint risk_reviews_status_check
  check (status in ('open', 'approved', 'declined', 'closed'));

-- A reviewer sees the card's latest web payments (every token of the same number).
create index checkout_payments_card on checkout_payments (card_token, created_at desc)
  where card_token is not null;
