// Ledger: double-entry accounts and transfers, batch-first and two-phase, after
// TigerBeetle's create_accounts / create_transfers.
//
// Glossary
// - account: holds four balances in minor units of one currency (its ledger): debits and
//   credits, each pending and posted. Its currency, code and flags never change.
// - transfer: moves an amount from a debit account to a credit account of the same
//   currency; its id is the caller's idempotency key. Stored transfers are never changed
//   except for a pending transfer's state.
// - batch: up to limits.ledgerTransferBatchSizeMax transfers applied in order in one
//   database transaction, answering one result code per transfer (`ok` on success).
// - linked chain: consecutive transfers with flags.linked plus the next one without it;
//   they succeed or fail together.
// - pending transfer: reserves its amount in the pending balances until a post (moves all
//   or part of it to posted) or a void (releases it) resolves it, or its timeout expires.
// - code: a number 1..65535 naming the kind of account or transfer (the caller's chart).
// - batch: also the unit of audit: one entry (ledger.batch.created) holds the Merkle root
//   over the canonical bytes of the transfers it created (canonical.ts), in creation order.
// - inclusion proof: one transfer's canonical form, audit path, batch entry and the signed
//   checkpoint covering it, checked offline by docs/verify-proof.mjs.
// - balance limit: an account flag refusing debits beyond credits (a wallet cannot go
//   below zero) or credits beyond debits. Only an account with one is locked by a batch's
//   lock; one without (card clearing, a merchant) is read, and locked by the write alone.

export { createLedger, type Ledger, type LedgerContext } from './ledger.ts';
export type { AccountInput, TransferInput } from './state.ts';
export { ledgerAuditCommitments } from './batch-audit.ts';
export { type TransferProof } from './proof.ts';
export { canonicalTransfer } from './canonical.ts';
