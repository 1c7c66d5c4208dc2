-- 0033_ledger_write_checks: intentionally empty. The number was claimed for a function that
-- lets a ledger batch's one write statement fail its own row-count checks; the statement
-- does that with plain SQL instead (ledger/store.ts, writeBatch), so nothing is created.
-- The file keeps migration numbers contiguous for the migrations claimed after it.
select 1;
