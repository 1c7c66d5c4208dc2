-- 0041_risk_facts: the facts the risk engine reads from identity, each one indexed lookup,
-- and the home-country network table.
-- - identity_customers.security_changed_at: the last password reset or change, contact
--   change, or factor added after the first (recovery codes renewed included). Written by
--   the flow that makes the change, in its transaction; read by primary key. Filled here from
--   the completed recoveries and contact changes already on record.
-- - identity_devices (key_thumbprint): how many accounts a device key was registered on.
-- - risk_home_networks: address ranges of the home country, as `kinko risk ip-table load`
--   reads them from a regional registry's delegated statistics file (APNIC for Japan). Each
--   range is [first, last]; the whole table is replaced by one load.
alter table identity_customers add column security_changed_at timestamptz;
update identity_customers c set security_changed_at = greatest(
  (select max(r.completed_at) from identity_recoveries r where r.customer_id = c.id),
  (select max(x.completed_at) from identity_contact_changes x where x.customer_id = c.id));

create index identity_devices_key_thumbprint on identity_devices (key_thumbprint);

create table risk_home_networks (
  first_address  inet not null,
  last_address   inet not null,
  country        text not null check (country ~ '^[A-Z]{2}$'),
  registry       text not null,
  loaded_at      timestamptz not null,
  primary key (first_address),
  check (family(first_address) = family(last_address) and first_address <= last_address)
);

-- A web payment whose risk decision was step_up (or review, see checkout/risk.ts) asks the
-- issuer for a 3-D Secure challenge; kept on the payment so a retried authorization asks
-- the same. And the address of the shopper's browser that typed the card into the hosted
-- card fields, which the risk engine reads as a web payment's source.
alter table checkout_payments add column challenge_required boolean not null default false;
alter table vault_cards add column shopper_ip inet;
