import type { preHandlerAsyncHookHandler } from 'fastify';
import type * as auth from './auth.ts';
import type { CreatedMerchant, CreateMerchantInput } from './create.ts';
import type { AccessScope, KeyMode } from './keys.ts';
import type {
  Actor,
  ApiKeyView,
  NewApiKey,
  Source,
  StoreInput,
  StoreView,
  TerminalView,
} from './merchants.ts';
import type { DemoSeed } from './seed.ts';
import type { App } from '../http/index.ts';
import type { Db } from '../db/index.ts';
import type { RegisterApproval } from './team/step-up.ts';

// What the merchants module offers the rest of Kinko: createMerchants (index.ts) builds it,
// and the routes take it as a parameter from here, so no file of the module imports index.ts.

export interface Merchants {
  createMerchant(
    input: CreateMerchantInput,
    actor: Actor,
    source?: Source,
  ): Promise<CreatedMerchant>;
  /** livemode: the merchant holds a live secret or restricted key (store.merchantWithMode). */
  getMerchant(id: string): Promise<{
    id: string;
    name: string;
    status: string;
    cardDataCapable: boolean;
    livemode: boolean;
  }>;
  createStore(
    merchantId: string,
    input: StoreInput,
    actor: Actor,
    source?: Source,
  ): Promise<StoreView>;
  listStores(merchantId: string): Promise<StoreView[]>;
  getStore(merchantId: string, storeId: string): Promise<StoreView>;
  /** Returns the terminal and its secret (tk_…), shown this once. */
  createTerminal(
    merchantId: string,
    input: { storeId: string; name: string; mode?: KeyMode | undefined },
    actor: Actor,
    source?: Source,
  ): Promise<{ terminal: TerminalView; secret: string }>;
  listTerminals(merchantId: string): Promise<TerminalView[]>;
  /** Returns the key and its value, shown this once (publishable keys stay visible). */
  createApiKey(
    merchantId: string,
    input: NewApiKey,
    actor: Actor,
    source?: Source,
  ): Promise<{ key: ApiKeyView; value: string }>;
  listApiKeys(merchantId: string): Promise<ApiKeyView[]>;
  rollApiKey(
    merchantId: string,
    keyId: string,
    input: { overlapSeconds?: number | undefined },
    actor: Actor,
    source?: Source,
  ): Promise<{ key: ApiKeyView; value: string; previous: ApiKeyView }>;
  revokeApiKey(
    merchantId: string,
    keyId: string,
    actor: Actor,
    source?: Source,
  ): Promise<ApiKeyView>;
  allowedOrigins(merchantId: string): Promise<string[]>;
  /**
   * Emails of the people who hear of a security alert on the merchant's integration (the
   * payment-page monitor): owners, admins and developers, active ones only.
   */
  alertContacts(db: Db, merchantId: string): Promise<string[]>;
  setAllowedOrigins(
    merchantId: string,
    origins: readonly string[],
    actor: Actor,
    source?: Source,
  ): Promise<string[]>;
  /** Bearer token or Authorization header → principal, or a named authentication error. */
  authenticateSecretKey(bearer: string | undefined): Promise<auth.MerchantPrincipal>;
  authenticateTerminal(terminalId: string, secret: string): Promise<auth.TerminalPrincipal>;
  resolvePublishableKey(pk: string): Promise<auth.PublishableKeyInfo | undefined>;
  /** The active owners and admins of merchants, with their email (incident notices). */
  ownersAndAdmins(
    db: Db,
    merchantIds: readonly string[],
  ): Promise<{ merchantId: string; personId: string; email: string }[]>;
  /** The vault's MerchantDirectory (vault/merchants.ts), backed by this module. */
  readonly directory: {
    resolvePublishableKey(
      pk: string,
    ): Promise<{ merchantId: string; allowedOrigins: string[] } | undefined>;
    resolveSecretKey(
      sk: string,
    ): Promise<{ merchantId: string; cardDataCapable: boolean } | undefined>;
  };
  /** preHandler for /v1 routes: 401 api_key_*, 403 api_key_scope_missing. */
  requireMerchantKey(scope: AccessScope): preHandlerAsyncHookHandler;
  /**
   * A manager's approval at a register (email and authenticator code, counted as a sign-in):
   * the manager's person id, or manager_approval_invalid, person_locked, person_access_denied,
   * person_store_denied.
   */
  approveAtRegister(input: RegisterApproval, source: Source): Promise<{ personId: string }>;
  /**
   * Invites the merchant's owner (none yet): the one-time link, also sent by email. For
   * the command line and the seed; people invite each other from the dashboard.
   */
  inviteOwner(merchantId: string, email: string): Promise<{ link: string }>;
  /** The dashboard's sign-in, invitation and team routes (team/routes.ts). */
  teamRoutes(app: App): void;
  /** `kinko merchants create …`; returns the exit code. */
  createMerchantCommand(
    args: string[],
    out: (line: string) => void,
    err: (line: string) => void,
  ): Promise<number>;
  /** Development start-up: the demo merchant, store, terminal and keys (see seed.ts). */
  seedDemoMerchant(options?: {
    rotate?: boolean;
    allowedOrigins?: readonly string[];
  }): Promise<DemoSeed>;
}
