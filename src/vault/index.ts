import type { Acquirer, Authorization } from '../acquirer/index.ts';
import {
  hostedComplete,
  hostedTokenize,
  openHostedSession,
  secretKeyTokenize,
  storeCspReport,
  type CspReportBody,
  type HostedCall,
  type HostedCard,
  type HostedOutcome,
  type HostedSession,
} from './hosted.ts';
import { loadScriptInventory, type ScriptInventory } from './inventory.ts';
import { rotateKeys, scanForPans, type RotateResult } from './maintenance.ts';
import { tableMerchantDirectory, type MerchantDirectory } from './merchants.ts';
import type { ScanResult } from './scan.ts';
import * as store from './store.ts';
import {
  authorize,
  deleteCards,
  getCard,
  sameCardAs,
  tokenize,
  type Actor,
  type AuthorizeInput,
  type CardView,
  type Source,
  type TokenizeInput,
  type VaultCoreDeps,
} from './vault.ts';

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

export { VAULT_ERRORS, type VaultErrorCode } from './errors.ts';
export {
  BRANDS,
  brandOf,
  validateCard,
  validateNumber,
  validateExpiry,
  type Brand,
} from './card.ts';
export {
  fileKeyProvider,
  envKeyProvider,
  generateKeyringJson,
  type KeyProvider,
  type FileKeyProviderOptions,
} from './keys.ts';
export {
  tableMerchantDirectory,
  registerMerchant,
  type MerchantDirectory,
  type PublishableKeyInfo,
  type SecretKeyInfo,
} from './merchants.ts';
export {
  loadScriptInventory,
  sri,
  type ScriptInventory,
  type ScriptEntry,
  type ScriptName,
} from './inventory.ts';
export { findPans, type ScanResult, type ScanFinding } from './scan.ts';
export type { RotateResult } from './maintenance.ts';
export type {
  CardView,
  TokenizeInput,
  AuthorizeInput,
  VaultLimits,
} from './vault.ts';
export type {
  HostedSession,
  HostedOutcome,
  HostedCall,
  HostedCard,
  CspReportBody,
} from './hosted.ts';
export { vaultRoutes, TOKENIZE_PATH, COMPLETE_PATH } from './routes.ts';
export type { CspReportRow } from './store.ts';
export {
  createCardPath,
  vaultScanCommand,
  keysRotateCommand,
  type CardPath,
  type CardPathDeps,
  type CliIo,
} from './wiring.ts';

export interface VaultDeps extends VaultCoreDeps {
  /** Kinko's origin as browsers reach it (config.publicOrigin). */
  publicOrigin: string;
  /** Defaults to the table-backed stand-in until the merchants module provides one. */
  merchants?: MerchantDirectory | undefined;
  scripts?: ScriptInventory | undefined;
}

export interface Vault {
  readonly publicOrigin: string;
  readonly scripts: ScriptInventory;
  tokenize(input: TokenizeInput): Promise<CardView>;
  /** Authorizes (amount 0: verifies) a stored card; the security code only passes through. */
  authorize(input: AuthorizeInput): Promise<Authorization>;
  getCard(token: string): Promise<CardView>;
  sameCardAs(token: string): Promise<CardView[]>;
  /** Crypto-shreds the cards named (or all of a customer's); returns their tokens. */
  deleteCards(
    which: { tokens: readonly string[] } | { customerId: string },
    actor: Actor,
    source?: Source,
  ): Promise<string[]>;
  openHostedSession(input: {
    publishableKey: string;
    parentOrigin: string;
  }): Promise<HostedSession>;
  hostedTokenize(call: HostedCall, card: HostedCard): Promise<HostedOutcome>;
  hostedComplete(call: HostedCall): Promise<HostedOutcome>;
  secretKeyTokenize(input: Parameters<typeof secretKeyTokenize>[1]): Promise<CardView>;
  storeCspReport(report: CspReportBody): Promise<void>;
  listCspReports(limit?: number): Promise<store.CspReportRow[]>;
  /** `kinko keys rotate`. */
  rotateKeys(): Promise<RotateResult>;
  /** `kinko vault scan`. */
  scan(): Promise<ScanResult>;
}

export function createVault(deps: VaultDeps): Vault {
  const hosted = {
    ...deps,
    merchants: deps.merchants ?? tableMerchantDirectory(deps.sql),
    publicOrigin: deps.publicOrigin,
  };
  const scripts = deps.scripts ?? loadScriptInventory();
  return {
    publicOrigin: deps.publicOrigin,
    scripts,
    tokenize: (input) => tokenize(deps, input),
    authorize: (input) => authorize(deps, input),
    getCard: (token) => getCard(deps, token),
    sameCardAs: (token) => sameCardAs(deps, token),
    deleteCards: (which, actor, source) => deleteCards(deps, which, actor, source),
    openHostedSession: (input) => openHostedSession(hosted, input),
    hostedTokenize: (call, card) => hostedTokenize(hosted, call, card),
    hostedComplete: (call) => hostedComplete(hosted, call),
    secretKeyTokenize: (input) => secretKeyTokenize(hosted, input),
    storeCspReport: (report) => storeCspReport(deps, report),
    listCspReports: (limit = 100) => store.listCspReports(deps.sql, limit),
    rotateKeys: () => rotateKeys(deps),
    scan: () => scanForPans(deps),
  };
}

export { rotateKeys, scanForPans };

/** The card network the vault calls, re-exported for wiring convenience. */
export type { Acquirer };
