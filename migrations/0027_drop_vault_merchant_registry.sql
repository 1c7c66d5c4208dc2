-- 0027_drop_vault_merchant_registry: the vault asks the merchants module about merchants.
--
-- Before the merchants module existed, the hosted card fields read a stand-in registry
-- (publishable key, allowed origins, whether the merchant may send card data). Production
-- has read merchants_* since and never this table; only test harnesses still wrote to it, and
-- its card_data_capable flag was not the one production reads. Dropping it leaves one answer
-- to "may this merchant send card data server-to-server": merchants_merchants.
drop table vault_merchant_registry;
