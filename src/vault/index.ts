import type { Acquirer } from '../acquirer/index.ts';
import { rotateKeys, scanForPans } from './maintenance.ts';

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
// - crypto-shredding: destroying a card's wrapped data key (and ciphertext) on deletion.
// - display data: brand, BIN (first six) and last four; never more.
// - hosted card fields: Kinko's page, framed by the merchant's page, where card data is typed.
// - hosted session: one load of that page: merchant, parent origin, per-session key.
// - card-data-capable: a merchant flagged to send card data server-to-server (else refused).
// - scan: the search of every table for card numbers outside the vault's ciphertext.

export { VAULT_ERRORS, vaultError, type VaultErrorCode } from './errors.ts';
export { brandOf, validateCard, validateNumber, validateExpiry, type Brand } from './card.ts';
export {
  fileKeyProvider,
  envKeyProvider,
  generateKeyringJson,
  type KeyProvider,
  type FileKeyProviderOptions,
} from './keys.ts';
export {
  loadScriptInventory,
  sri,
  type ScriptInventory,
  type ScriptEntry,
  type ScriptName,
} from './inventory.ts';
export { findPans, type ScanResult, type ScanFinding } from './scan.ts';
export type { RotateResult } from './maintenance.ts';
export type { CardView, TokenizeInput, AuthorizeInput, VaultLimits } from './vault.ts';
export type {
  HostedSession,
  HostedOutcome,
  HostedCall,
  HostedCard,
  CspReportBody,
  MerchantDirectory,
} from './hosted.ts';
export { vaultRoutes, TOKENIZE_PATH, COMPLETE_PATH } from './routes.ts';
export type { CspReportRow } from './store.ts';
export { vaultScanCommand, keysRotateCommand, type CliIo } from './cli.ts';

export { createVault, type Vault, type VaultDeps } from './service.ts';

export { rotateKeys, scanForPans };

/** The card network the vault calls, re-exported for wiring convenience. */
export type { Acquirer };
