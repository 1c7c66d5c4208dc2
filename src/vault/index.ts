// Vault: card tokenisation, envelope encryption, key rotation, discovery, hosted card fields.
//
// Glossary
// - PAN: the primary account number (the card number). Exists here only as ciphertext.
// - security code: CVV/CVC/CID. Never stored, logged, queued or audited, not even encrypted;
//   it travels in memory from the cardholder's request to the card network and is dropped.
// - token: `card_…`, the card's public name; bound into its ciphertext as associated data.
// - data key: a fresh AES-256-GCM key per card; stored only wrapped.
// - KEK: key-encryption key, outside the database (key provider); versions are numbered.
// - wrap / re-wrap: encrypt a data key under a KEK version / move it to a newer version.
// - fingerprint: HMAC-SHA256 of the PAN under its own key; finds the same card across tokens.
// - number id: a hash of the fingerprint the risk engine counts a card by (cardRiskFacts);
//   the fingerprint itself never leaves the vault.
// - shopper ip: the address of the browser that typed a card into the hosted card fields.
// - crypto-shredding: destroying a card's wrapped data key (and ciphertext) on deletion.
// - display data: brand, BIN (first six) and last four; never more.
// - hosted card fields: Kinko's page, framed by the merchant's page, where card data is typed.
// - hosted session: one load of that page: merchant, parent origin, per-session key.
// - card-data-capable: a merchant flagged to send card data server-to-server (else refused).
// - scan: the search of every table for card numbers outside the vault's ciphertext.
// - card export: an incident's affected cards with their full numbers, for the card
//   companies: requested by one operator, approved by another, encrypted to the recipient's
//   age key (`age1…`) and stored only as ciphertext, downloaded a few times until it expires.

export { vaultError } from './errors.ts';
export { fileKeyProvider, envKeyProvider, type KeyProvider } from './keys.ts';
export { findPans } from './scan.ts';
export type { MerchantDirectory } from './hosted.ts';
export { vaultRoutes } from './routes.ts';
export { cardExportRoutes } from './export-routes.ts';
export { vaultScanCommand, keysRotateCommand } from './cli.ts';

export { createVault, type Vault } from './service.ts';
