-- 0023_terminal_mode: every terminal has a mode, fixed when it is created.
--
-- A register charges real customers' wallets, so a terminal of a merchant set up for testing
-- must not move wallet money into a live balance. A test terminal signs in as usual but its
-- wallet payments are refused (400 livemode_required). Terminals made before this migration
-- were all treated as live, and stay live.
alter table merchants_terminals
  add column mode text not null default 'live' check (mode in ('live', 'test'));
