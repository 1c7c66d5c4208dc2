import type { Authorization } from '../acquirer/index.ts';
import { checkCspReports, cspReportGroups, type CspSignal, type RaiseCsp } from './csp-alerts.ts';
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
  type MerchantDirectory,
} from './hosted.ts';
import {
  approveCardExport,
  downloadCardExport,
  listCardExports,
  requestCardExport,
  type CardExportDecision,
  type CardExportIncidents,
  type CardExportRequest,
  type CardExportView,
} from './export.ts';
import { loadScriptInventory, type ScriptInventory } from './inventory.ts';
import { rotateKeys, scanForPans, type RotateResult } from './maintenance.ts';
import type { ScanResult } from './scan.ts';
import type { Db, Fragment } from '../db/index.ts';
import * as store from './store.ts';
import {
  authorize,
  cardRiskFacts,
  deleteCards,
  getCard,
  sameCardAs,
  tokenize,
  type Actor,
  type AuthorizeInput,
  type CardRiskFacts,
  type CardView,
  type Source,
  type TokenizeInput,
  type VaultCoreDeps,
} from './vault.ts';

// What the vault module offers the rest of Kinko, and the function that builds it. In a file
// of its own so that the routes and the card-path wiring take it from here: index.ts
// re-exports both, and no file of the module imports index.ts.

interface VaultDeps extends VaultCoreDeps {
  /** Kinko's origin as browsers reach it (config.publicOrigin). */
  publicOrigin: string;
  /** The merchants module's directory: publishable keys, origins, card-data capability. */
  merchants: MerchantDirectory;
  scripts?: ScriptInventory | undefined;
}

export interface Vault {
  readonly publicOrigin: string;
  readonly scripts: ScriptInventory;
  tokenize(input: TokenizeInput): Promise<CardView>;
  /** Authorizes (amount 0: verifies) a stored card; the security code only passes through. */
  authorize(input: AuthorizeInput): Promise<Authorization>;
  /** `db`: read in the caller's transaction (a top-up reads it under the customer's lock). */
  getCard(token: string, db?: Db): Promise<CardView>;
  sameCardAs(token: string): Promise<CardView[]>;
  /** The risk engine's facts of cards: an id of the number, BIN, tokens of the same number. */
  cardRiskFacts(tokens: readonly string[], db?: Db): Promise<Map<string, CardRiskFacts>>;
  /**
   * The other live tokens of these tokens' numbers (cardRiskFacts' sameNumberTokens), as a
   * statement for another module's read to embed.
   */
  sameNumberTokens(tokens: readonly string[], db: Db): Fragment;
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
  /** CSP reports of the last windowSeconds: a new blocked origin or a spike on a payment page. */
  checkCspReports(raise: RaiseCsp, windowSeconds: number): Promise<CspSignal[]>;
  /** The console's view of CSP reports: counts by page, directive, origin and time. */
  cspReportGroups(q: { hours: number; bucketSeconds: number }): ReturnType<typeof cspReportGroups>;
  /** `kinko keys rotate`. */
  rotateKeys(): Promise<RotateResult>;
  /** `kinko vault scan`. */
  scan(): Promise<ScanResult>;
  /** The dual-controlled encrypted card export, over the incidents module's scope runs. */
  cardExports(incidents: CardExportIncidents): CardExports;
}

export interface CardExports {
  request(r: CardExportRequest): Promise<CardExportView>;
  /** By an operator other than the requester; produces the encrypted file. */
  approve(d: CardExportDecision): Promise<CardExportView>;
  download(d: CardExportDecision): Promise<{ view: CardExportView; file: Buffer }>;
  list(incidentId: string): Promise<CardExportView[]>;
}

export function createVault(deps: VaultDeps): Vault {
  const hosted = {
    ...deps,
    merchants: deps.merchants,
    publicOrigin: deps.publicOrigin,
  };
  const scripts = deps.scripts ?? loadScriptInventory();
  return {
    publicOrigin: deps.publicOrigin,
    scripts,
    tokenize: (input) => tokenize(deps, input),
    authorize: (input) => authorize(deps, input),
    getCard: (token, db) => getCard(deps, token, db),
    sameCardAs: (token) => sameCardAs(deps, token),
    cardRiskFacts: (tokens, db) => cardRiskFacts(deps, tokens, db),
    sameNumberTokens: (tokens, db) => store.sameNumberTokens(db, tokens),
    deleteCards: (which, actor, source) => deleteCards(deps, which, actor, source),
    openHostedSession: (input) => openHostedSession(hosted, input),
    hostedTokenize: (call, card) => hostedTokenize(hosted, call, card),
    hostedComplete: (call) => hostedComplete(hosted, call),
    secretKeyTokenize: (input) => secretKeyTokenize(hosted, input),
    storeCspReport: (report) => storeCspReport(deps, report),
    listCspReports: (limit = 100) => store.listCspReports(deps.sql, limit),
    checkCspReports: (raise, windowSeconds) => checkCspReports(deps, raise, windowSeconds),
    cspReportGroups: (q) => cspReportGroups(deps, q),
    rotateKeys: () => rotateKeys(deps),
    scan: () => scanForPans(deps),
    cardExports: (incidents) => {
      const exportDeps = { ...deps, incidents };
      return {
        request: (r) => requestCardExport(exportDeps, r),
        approve: (d) => approveCardExport(exportDeps, d),
        download: (d) => downloadCardExport(exportDeps, d),
        list: (incidentId) => listCardExports(deps, incidentId),
      };
    },
  };
}
