import type { preHandlerAsyncHookHandler } from 'fastify';
import { recentActivity, type CustomerActivity } from './activity.ts';
import type { IdentityLimits, KinkoEnv } from '../config.ts';
import type { Db, Sql, Tx } from '../db/index.ts';
import type { App } from '../http/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { devMailboxRoutes } from '../notify/index.ts';
import type { SwitchCheck } from '../switches/index.ts';
import type { AuditPort, Deps, IncidentsPort, OutboxPort, Source } from './context.ts';
import {
  actionPreHandler,
  customerOf,
  customerPreHandler,
  operatorOf,
  operatorPreHandler,
} from './http.ts';
import {
  createOperator as create,
  type CreatedOperator,
  type OperatorAction,
  type OperatorRole,
} from './operators.ts';
import { operatorRoutes } from './operator-routes.ts';
import { createPasswords, type BreachedRangeLookup } from './passwords.ts';
import type { SensitiveAction } from './policy.ts';
import { customerRoutes } from './routes.ts';
import { sessionProbeRoutes } from './session-probe.ts';
import { runOperatorsCreate as runCreate } from './cli.ts';
import { resolveSession, type CustomerSession } from './sessions.ts';
import { freezeLink, freezeLinks } from './recovery.ts';
import { requireAction } from './guard.ts';
import { deleteCustomer } from './deletion.ts';
import { createSignInKit, type SignInKit } from './sign-in-kit.ts';
import * as store from './store.ts';
import { riskFacts, type IdentityRiskFacts } from './risk-facts.ts';

// Identity: who is calling — customers and operators — and whether they may do what they ask.
//
// Glossary
// - customer: a wallet user; signs in with email or phone and a password.
// - operator: platform staff (support, risk_analyst, security_admin); a separate realm with
//   its own tables, sessions and cookie; password and TOTP on every sign-in.
// - session: an opaque token (ks_… customers, kos_… operators), stored as its SHA-256.
// - device: a key pair in the wallet app (ECDSA P-256); pending until confirmed by a factor
//   or a code to the verified phone; a session is bound to one by a signed challenge.
// - device proof: header `kinko-device-proof: <challenge>.<signature>`, single use, per action.
// - strong factor: a passkey or TOTP. Recovery codes stand in for one only in recovery.
// - step-up: proving a strong factor again; sensitive actions need one within
//   stepUpSecondsMax (policy.ts, STEP_UP_POLICY).
// - recovery: resetting the password through the account's verified contacts plus the
//   enrolled factor; ends with a money-movement hold unless a strong factor was used.
// - hold: money movement paused until money_hold_until (after a recovery).
// - freeze: "this was not me": the account stops, every session ends.
// - deletion: status 'deleted'; contacts become tombstones, secrets and factors are erased,
//   the id stays for the ledger and the audit trail. Signs in like an unknown account.
// - source network: the IPv4 /24 or IPv6 /64 a request comes from, for stuffing throttles.
// - source bucket: a source network's sign-in counters for one realm; operator sign-in counts
//   in `operator:<network>`, never in the customers' bucket.
// - reservation: a sign-in or second-factor attempt checked and counted in one atomic step
//   before its password or code is checked, taken back when the answer was right.
// - stuffing detection: raised when a source bucket is blocked; open until an operator
//   acknowledges it, then kept as history.
// - security change: a password, contact or factor change after set-up (security_changed_at),
//   one of the risk engine's facts (risk-facts.ts), as are device ages and shared device keys.
// - sign-in kit: these mechanisms (password policy and hashing, sealed TOTP, throttles,
//   session tokens, recovery codes) for a realm another module keeps: merchant people, whose
//   accounts live in merchants/team and sign in under the operators' rules.

export { identityError } from './errors.ts';
export type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  SignInKit,
  SignInReservation,
} from './sign-in-kit.ts';
export { authenticationCredential, registrationCredential } from './schemas.ts';
export { DEVICE_PROOF_HEADER } from './guard.ts';
export { CUSTOMER_COOKIE } from './http.ts';
export { proofMessage } from './device-key.ts';

export { loadOrCreateIdentitySecretsKey, sealLegacyTotpSecrets } from './sealed.ts';

interface IdentityOptions {
  sql: Sql;
  clock: Clock;
  audit: AuditPort;
  outbox: OutboxPort;
  /** Where detections are raised: a blocked source joins the live stuffing incident. */
  incidents: IncidentsPort;
  /** config.limits.identity */
  limits: IdentityLimits;
  log: Logger;
  env: KinkoEnv;
  /** The origin browsers use (config.publicOrigin); WebAuthn's origin and RP ID come from it. */
  origin: string;
  /** Optional Have-I-Been-Pwned-style range lookup, used after the shipped list. */
  breachedPasswords?: BreachedRangeLookup | undefined;
  /** The 32-byte identity secrets key (loadOrCreateIdentitySecretsKey): seals TOTP secrets. */
  secretsKey: Buffer;
  /** Kill switches (switches/): sign-up, sign-in, recovery and new devices. */
  switches: SwitchCheck;
  /** The risk engine, for new-device confirmation (built after identity: a function). */
  risk?: Deps['risk'];
}

/** What `kinko operators create` prints to and reads its password from. */
interface OperatorsCreateIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

export interface Identity {
  /** Identity's sign-in mechanisms for merchant people (merchants/team keeps the accounts). */
  readonly signInKit: SignInKit;
  /** Mounts identity's customer and operator routes, and the dev mailbox outside production. */
  mountRoutes(app: App): void;
  /**
   * `kinko operators create`: creates an operator (the first security admin, typically) and
   * returns the TOTP enrolment secret, to be shown once and never stored anywhere else.
   */
  createOperator(input: {
    email: string;
    name: string;
    role: OperatorRole;
    password: string;
  }): Promise<CreatedOperator>;
  /** `kinko operators create` as a command body: parses args, prints the TOTP secret once. */
  runOperatorsCreate(args: string[], io: OperatorsCreateIo): Promise<number>;
  /** preHandler: a live customer session; read it with customerOf(req). */
  requireCustomer: preHandlerAsyncHookHandler;
  /** preHandler: an operator session whose role may do `action`; read it with operatorOf(req). */
  requireOperator(action: OperatorAction): preHandlerAsyncHookHandler;
  /** preHandler: the step-up policy for `action`, with a device proof where it says so. */
  requireDeviceProof(action: SensitiveAction): preHandlerAsyncHookHandler;
  customerOf: typeof customerOf;
  operatorOf: typeof operatorOf;
  /** For non-HTTP callers: resolve a token, then check an action (same rules as above). */
  resolveCustomer(token: string | undefined): Promise<CustomerSession>;
  verifyDeviceProof(
    session: CustomerSession,
    action: SensitiveAction,
    proof: string | undefined,
    source: Source,
  ): Promise<void>;
  /** Whether the customer's money movement is held (after a recovery) or frozen. */
  moneyMovementHold(
    customerId: string,
  ): Promise<{ held: boolean; until: Date | null; frozen: boolean }>;
  /**
   * Contacts, status, hold end and age of customers (payments: limits, receipts); a deleted
   * customer is left out, as an unknown id is.
   */
  customerFacts(db: Db, customerIds: readonly string[]): Promise<CustomerFacts[]>;
  /**
   * In the caller's transaction: whether the wallet may be credited (the account is not
   * deleted), held so that a deletion waits for the credit and then sees it.
   */
  lockOpenForCredit(tx: Tx, customerId: string): Promise<boolean>;
  /** A "this was not me" link freezing the account, minted in the caller's transaction. */
  freezeLink(tx: Tx, customerId: string): Promise<string>;
  /** One freeze link per id, in order (a repeated id gets a link per mention); one insert. */
  freezeLinks(tx: Tx, customerIds: readonly string[]): Promise<string[]>;
  /**
   * Account deletion's identity part, in the caller's transaction (payments orchestrates):
   * goodbye notice, status 'deleted', sessions and devices revoked, personal data erased.
   */
  deleteCustomer(
    tx: Tx,
    customerId: string,
    source: Source,
  ): Promise<{ sessionsRevoked: number } | 'already_deleted'>;
  /** The risk engine's facts for a batch: security changes, devices, source failures. */
  riskFacts(
    db: Db,
    q: {
      customerIds: readonly string[];
      deviceIds: readonly string[];
      sourceIps: readonly string[];
    },
  ): Promise<IdentityRiskFacts>;
  /** Operators' display names by id, for showing who did something (incidents, switches). */
  operatorNames(db: Db, ids: readonly string[]): Promise<Map<string, string>>;
  /** Recent sign-ins, devices and security changes (the operators' review page). */
  recentActivity(customerId: string): Promise<CustomerActivity>;
  /** Active operators of a role and their email (switches: whom to tell of a change). */
  operatorsWithRole(db: Db, role: OperatorRole): Promise<{ id: string; email: string }[]>;
}

interface CustomerFacts {
  id: string;
  email: string;
  phone: string;
  frozen: boolean;
  /** The end of the last post-recovery hold, past or future; null when there never was one. */
  moneyHoldUntil: Date | null;
  createdAt: Date;
}

export function createIdentity(options: IdentityOptions): Identity {
  const url = new URL(options.origin);
  const deps: Deps = {
    sql: options.sql,
    clock: options.clock,
    audit: options.audit,
    outbox: options.outbox,
    incidents: options.incidents,
    limits: options.limits,
    log: options.log,
    env: options.env,
    origin: url.origin,
    rpId: url.hostname,
    passwords: createPasswords(options.limits, options.log, options.breachedPasswords),
    secretsKey: options.secretsKey,
    switches: options.switches,
    risk: options.risk,
  };
  return {
    signInKit: createSignInKit(deps),
    mountRoutes: (app) => {
      customerRoutes(app, deps);
      operatorRoutes(app, deps);
      sessionProbeRoutes(app, deps);
      devMailboxRoutes(app, { sql: deps.sql, env: deps.env });
    },
    createOperator: (input) => create(deps, input, { type: 'cli' }, { ip: 'cli' }),
    runOperatorsCreate: (args, io) => runCreate(deps, args, io),
    requireCustomer: customerPreHandler(deps),
    requireOperator: (action) => operatorPreHandler(deps, action),
    requireDeviceProof: (action) => actionPreHandler(deps, action),
    customerOf,
    operatorOf,
    resolveCustomer: (token) => resolveSession(deps, token),
    verifyDeviceProof: (session, action, proof, source) =>
      requireAction(deps, session, action, proof, source),
    moneyMovementHold: async (customerId) => {
      const c = await store.customerById(deps.sql, customerId);
      const until =
        c?.money_hold_until && c.money_hold_until.getTime() > deps.clock.nowMs()
          ? c.money_hold_until
          : null;
      const frozen = !c || c.status !== 'active';
      return { held: frozen || until !== null, until, frozen };
    },
    customerFacts: async (db, ids) =>
      (await store.customerFacts(db, ids)).map((c) => ({
        id: c.id,
        email: c.email,
        phone: c.phone,
        frozen: c.status === 'frozen',
        moneyHoldUntil: c.money_hold_until,
        createdAt: c.created_at,
      })),
    lockOpenForCredit: (tx, customerId) => store.lockOpenForCredit(tx, customerId),
    freezeLink: (tx, customerId) => freezeLink(deps, tx, customerId),
    freezeLinks: (tx, customerIds) => freezeLinks(deps, tx, customerIds),
    deleteCustomer: (tx, customerId, source) => deleteCustomer(deps, tx, customerId, source),
    recentActivity: (customerId) => recentActivity(deps, customerId),
    operatorsWithRole: (db, role) => store.activeOperatorsWithRole(db, role),
    riskFacts: (db, q) => riskFacts(deps, db, q),
    operatorNames: async (db, ids) =>
      new Map((await store.operatorNames(db, [...new Set(ids)])).map((o) => [o.id, o.name])),
  };
}

export { notifyWorker, createNotifier, type Notifier } from '../notify/index.ts';

export { OPERATORS_CREATE_USAGE } from './cli.ts';
