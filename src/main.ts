import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  auditRoutes,
  createAudit,
  loadOrCreateAuditSigningKey,
  type Audit,
} from './audit/index.ts';
import {
  acquirerRoutes,
  createAcquirer,
  createSimulator,
  type Acquirer,
  type CardNetwork,
} from './acquirer/index.ts';
import {
  createIdentity,
  createNotifier,
  loadOrCreateIdentitySecretsKey,
  notifyWorker,
  sealLegacyTotpSecrets,
  type Identity,
  type Notifier,
} from './identity/index.ts';
import { deliverNoticesOnce, type DeliveryReports } from './notify/index.ts';
import {
  cardExportScope,
  createIncidents,
  incidentsRoutes,
  type Incidents,
} from './incidents/index.ts';
import { createLedger, ledgerAuditCommitments, type Ledger } from './ledger/index.ts';
import {
  createMerchants,
  merchantKeyOf,
  merchantRoutes,
  merchantScopeOf,
  type Merchants,
} from './merchants/index.ts';
import { createOutbox, type Outbox } from './outbox/index.ts';
import {
  accountInput,
  createPayments,
  loadOrCreatePaymentCodeKey,
  paymentsRiskFacts,
  paymentsRoutes,
  type Payments,
} from './payments/index.ts';
import {
  createWebPayments,
  WEB_PAYMENT_REVIEW_KIND,
  webPaymentRoutes,
  type WebPayments,
} from './checkout/index.ts';
import {
  createRisk,
  reviewRoutes,
  riskRoutes,
  type AssessInput,
  type FactSource,
  type Risk,
  type RiskFacts,
} from './risk/index.ts';
import { createSwitches, switchesRoutes, type Switches } from './switches/index.ts';
import {
  connectionsByState,
  createMetrics,
  meteredNetwork,
  metricsRoutes,
  observeResponse,
  startMetricsServer,
  type Metrics,
} from './metrics/index.ts';
import { createSiem, isSecurityEvent, type Siem } from './siem/index.ts';
import { createIntegrity, type Integrity } from './integrity/index.ts';
import { createPagewatch, pagewatchRoutes, type Pagewatch } from './pagewatch/index.ts';
import { NOTIFY_TOPIC } from './notify/index.ts';
import { servedWebFiles, webRoutes } from './web/index.ts';
import {
  createWebhooks,
  loadOrCreateWebhookSecretsKey,
  webhookRoutes,
  type Webhooks,
} from './webhooks/index.ts';
import {
  createVault,
  envKeyProvider,
  fileKeyProvider,
  vaultRoutes,
  cardExportRoutes,
  type KeyProvider,
  type MerchantDirectory,
  type Vault,
} from './vault/index.ts';
import type { Config } from './config.ts';
import {
  claimJobWindow,
  connect,
  connectedRole,
  EMBEDDED_OWNER_ROLE,
  EMBEDDED_SERVING_ROLE,
  embeddedRoleUrl,
  embeddedSuperuserUrl,
  migrate,
  startEmbeddedPostgres,
  type ConnectOptions,
  type MigrationResult,
  type Sql,
} from './db/index.ts';
import type { Logger } from './lib/log.ts';
import {
  createIdempotency,
  createServer,
  healthRoutes,
  type App,
  type Idempotency,
} from './http/index.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { startPeriodic } from './lib/periodic.ts';

// The composition root: config → database → modules → HTTP. The only file that wires
// modules together; everything else receives its dependencies as parameters.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

export interface Database {
  /** The serving pool: the role the server runs as. */
  sql: Sql;
  /** Where the data lives, for people: a path or a host, never a password. */
  description: string;
  /**
   * Where migrations run: the schema owner's URL and the serving role to grant to. Absent
   * when the server's own role owns the schema (a DATABASE_URL without a migration URL).
   */
  owner?: { url: string; servingRole: string } | undefined;
  close(): Promise<void>;
}

interface OpenOptions {
  /** Use the embedded server of a Kinko already running on the data directory (CLI). */
  shareRunning?: boolean;
  /** Statement timeout of the pool; 0 for commands that may run long (backup, checks). */
  statementTimeoutMs?: number;
}

/**
 * Opens the configured database: DATABASE_URL when set (migrations through
 * KINKO_MIGRATION_DATABASE_URL when that is set too), otherwise the embedded server under
 * dataDir, served as its least-privilege role.
 */
export async function openDatabase(
  config: Config,
  log: Logger,
  options: OpenOptions = {},
): Promise<Database> {
  const pool = {
    connectionsMax: config.limits.dbPoolConnectionsMax,
    statementTimeoutMs: options.statementTimeoutMs ?? config.limits.dbStatementTimeoutMs,
    connectTimeoutSeconds: config.limits.dbConnectTimeoutSeconds,
  };
  if (config.databaseUrl) return openExternal(config.databaseUrl, config, log, pool);
  const running = options.shareRunning ? runningEmbedded(config.dataDir) : undefined;
  if (running) {
    const sql = connect(running.url, pool);
    return {
      sql,
      description: `embedded postgres (shared) in ${config.dataDir}`,
      owner: { url: running.ownerUrl, servingRole: EMBEDDED_SERVING_ROLE },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const pg = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    log,
  });
  const sql = connect(pg.url, pool);
  return {
    sql,
    description: `embedded postgres in ${path.join(config.dataDir, 'pg')} on 127.0.0.1:${pg.port}`,
    owner: { url: pg.ownerUrl, servingRole: EMBEDDED_SERVING_ROLE },
    close: async () => {
      await sql.end({ timeout: 5 });
      await pg.stop();
    },
  };
}

async function openExternal(
  url: string,
  config: Config,
  log: Logger,
  pool: ConnectOptions,
): Promise<Database> {
  const sql = connect(url, pool);
  const description = `postgres at ${new URL(url).host}`;
  const close = () => sql.end({ timeout: 5 });
  try {
    const me = await connectedRole(sql);
    if (me.superuser) {
      // Not refused (a developer's local server), but said: a superuser can switch off the
      // triggers that keep the audit chain append-only.
      log.warn(
        { role: me.role },
        'DATABASE_URL connects as a superuser; serve as a least-privilege role and migrate ' +
          'through KINKO_MIGRATION_DATABASE_URL (see README, Database roles)',
      );
    }
    const owner = config.migrationDatabaseUrl
      ? { url: config.migrationDatabaseUrl, servingRole: me.role }
      : undefined;
    return { sql, description, owner, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The URLs of an embedded server already running on dataDir, read from its pid file. */
function runningEmbedded(dataDir: string): { url: string; ownerUrl: string } | undefined {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    process.kill(pid, 0);
    const port = Number(lines[3]);
    const password = fs.readFileSync(path.join(dataDir, 'pg.secret'), 'utf8').trim();
    const superuserUrl = embeddedSuperuserUrl(password, port);
    return {
      url: embeddedRoleUrl(superuserUrl, EMBEDDED_SERVING_ROLE, 'kinko'),
      ownerUrl: embeddedRoleUrl(superuserUrl, EMBEDDED_OWNER_ROLE, 'kinko'),
    };
  } catch {
    return undefined;
  }
}

/** Runs fn on a short-lived connection of the schema's owner (the serving pool if none). */
async function asOwner<T>(
  db: Database,
  fn: (owner: Sql, servingRole: string | undefined) => Promise<T>,
): Promise<T> {
  if (!db.owner) return fn(db.sql, undefined);
  const owner = connect(db.owner.url, { connectionsMax: 1, statementTimeoutMs: 0 });
  try {
    return await fn(owner, db.owner.servingRole);
  } finally {
    await owner.end({ timeout: 5 });
  }
}

/** The card path: the vault, the acquirer and the card network it calls. */
interface CardPath {
  keyProvider: KeyProvider;
  network: CardNetwork;
  acquirer: Acquirer;
  vault: Vault;
}

interface CardPathDeps {
  config: Config;
  log: Logger;
  sql: Sql;
  clock: Clock;
  audit: Pick<Audit, 'append' | 'appendStatement'>;
  merchants: MerchantDirectory;
  /** A real acquirer's connector (or a test's network); required in production. */
  network?: CardNetwork | undefined;
  /** Counts every card network call (declines by reason); none when absent. */
  metrics?: Metrics | undefined;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The card path: key provider (KINKO_VAULT_KEYS when set, else the key file), card network
 * (the connector given, else the simulator, which production refuses), acquirer and vault.
 */
export function createCardPath(deps: CardPathDeps): CardPath {
  const env = deps.env ?? process.env;
  const { config } = deps;
  if (config.env === 'production' && !config.publicOrigin.startsWith('https://')) {
    throw new Error('KINKO_PUBLIC_ORIGIN must be https:// in production (hosted card fields)');
  }
  if (!deps.network && config.env === 'production') {
    throw new Error('no card network connector is configured; the simulator is not for production');
  }
  const keyProvider = env['KINKO_VAULT_KEYS']
    ? envKeyProvider(env)
    : fileKeyProvider({
        file: config.vaultKeyFile,
        dataDir: config.dataDir,
        create: config.env !== 'production',
      });
  const bare = deps.network ?? createSimulator();
  const network = deps.metrics ? meteredNetwork(bare, deps.metrics) : bare;
  const base = { sql: deps.sql, clock: deps.clock, audit: deps.audit, log: deps.log };
  const acquirer = createAcquirer({ ...base, network, limits: config.limits });
  const vault = createVault({
    ...base,
    keyProvider,
    acquirer,
    limits: config.limits,
    merchants: deps.merchants,
    publicOrigin: config.publicOrigin,
  });
  return { keyProvider, network, acquirer, vault };
}

/** The modules, wired. Built once per process by startPlatform and by CLI commands. */
export interface Modules {
  metrics: Metrics;
  siem: Siem;
  integrity: Integrity;
  pagewatch: Pagewatch;
  /** Kinko's pages the monitor loads need a publishable key; development's is seeded late. */
  kinkoPageKey: { publishableKey: string | undefined };
  audit: Audit;
  ledger: Ledger;
  outbox: Outbox;
  incidents: Incidents;
  card: CardPath;
  identity: Identity;
  merchants: Merchants;
  idempotency: Idempotency;
  webhooks: Webhooks;
  webPayments: WebPayments;
  payments: Payments;
  risk: Risk;
  switches: Switches;
}

/** The key that seals TOTP secrets: beside the vault's keys, outside the database. */
function identitySecretsKey(config: Config): Buffer {
  return loadOrCreateIdentitySecretsKey(config.identitySecretsKeyFile);
}

/**
 * Brings a database up to date: the migrations, then the upgrades that need a key kept
 * outside the database (sealing TOTP secrets written in clear before migration 0015).
 * Every start path runs it before anything reads the data.
 */
export async function upgradeDatabase(
  config: Config,
  log: Logger,
  db: Database,
): Promise<MigrationResult> {
  // As the owner: sealing ends with VACUUM FULL, which only the tables' owner may run.
  return asOwner(db, async (owner, servingRole) => {
    const migrated = await migrate(owner, { servingRole });
    const sealed = await sealLegacyTotpSecrets(owner, identitySecretsKey(config));
    if (sealed > 0) log.info({ sealed }, 'TOTP secrets written in clear are now sealed');
    return migrated;
  });
}

/**
 * The one composition of the modules: `kinko serve`, `kinko work`, the CLI and every test
 * build them here. A test replaces the clock, the card network (`network`) and limits (in
 * config), nothing else.
 */
export function createModules(
  config: Config,
  log: Logger,
  sql: Sql,
  clock: Clock,
  network?: CardNetwork,
): Modules {
  const outbox = createOutbox({ sql, clock, limits: config.limits, log });
  const siem = siemOf(config, log, clock, outbox);
  const audit = auditOf(config, log, sql, clock, siem);
  const ledger = createLedger({ sql, clock, audit, limits: config.limits });
  const metrics = metricsOf(config, log, sql, clock, { outbox, audit });
  siem.countWith((outcome) => metrics.securityEvent('siem_batch', outcome));
  // Detectors raise signals and every response step writes its timeline event through it.
  const incidents = createIncidents({ sql, clock, audit });
  // Kill switches: every module that serves a suspendable request checks this one board.
  const switches = switchBoard(
    config,
    { sql, clock, log, audit, outbox, incidents },
    () => identity,
  );
  const identity = createIdentity({
    sql,
    clock,
    audit,
    outbox,
    incidents,
    limits: config.limits.identity,
    log,
    env: config.env,
    origin: config.publicOrigin,
    secretsKey: identitySecretsKey(config),
    switches,
    risk: () => risk,
  });
  // Merchant people sign in with identity's mechanisms (the sign-in kit), not a copy.
  const merchants = createMerchants({
    ...{ sql, clock, audit, limits: config.limits, env: config.env },
    ...{ kit: identity.signInKit, outbox, publicOrigin: config.publicOrigin },
  });
  const idempotency = createIdempotency({ sql, clock, limits: config.limits, log });
  // Webhook signing secrets are encrypted under a key kept beside the vault's, outside the
  // database and the data directory.
  const secretsKey = loadOrCreateWebhookSecretsKey(config.webhookSecretsKeyFile);
  const webhooks = createWebhooks({
    ...{ sql, clock, audit, outbox, limits: config.limits, log, env: config.env },
    ...{ secretsKey, switches },
    onDeliveryAttempt: (outcome) => metrics.webhookDelivery(outcome),
  });
  const cardDeps = { config, log, sql, clock, audit, network, metrics };
  const card = createCardPath({ ...cardDeps, merchants: merchants.directory });
  const facts = riskFactSource(() => ({ identity, card }), clock);
  const risk = meteredRisk(
    createRisk({ sql, clock, audit, limits: config.limits.risk, facts }),
    metrics,
  );
  const integrity = integrityOf(log, sql, clock, { audit, incidents, metrics });
  const kinkoPageKey = { publishableKey: config.walletPublishableKey };
  const watchDeps = { audit, incidents, metrics, outbox, webhooks, merchants, kinkoPageKey };
  const pagewatch = pagewatchOf(config, log, sql, clock, watchDeps);
  const core = {
    ...{ metrics, siem, integrity, pagewatch, kinkoPageKey, audit, ledger, outbox, incidents },
    card,
    identity,
    ...{ merchants, idempotency, webhooks, risk, switches },
  };
  return { ...core, ...createPaymentModules(config, log, sql, clock, core) };
}

/**
 * The kill switches. Security admins (identity's) hear of every change; identity is built
 * after the board, which asks for it only when a switch changes. A change taken for an
 * incident is appended to that incident's timeline, in the change's transaction.
 */
function switchBoard(
  config: Config,
  base: { sql: Sql; clock: Clock; log: Logger; audit: Audit; outbox: Outbox; incidents: Incidents },
  identity: () => Identity,
): Switches {
  return createSwitches({
    ...base,
    securityAdmins: (db) => identity().operatorsWithRole(db, 'security_admin'),
    reconcileSecondsInterval: config.limits.switchesReconcileSecondsInterval,
  });
}

type CoreModules = Omit<Modules, 'payments' | 'webPayments'>;

const DAY_MS = 86_400_000;
/** How far back a customer's own amounts are compared with (amount_ratio_*_30d). */
const AMOUNT_HISTORY_DAYS = 30;

/**
 * The risk engine's facts, from identity (security changes, devices, failed sign-ins of the
 * network and the accounts signed in from it in a day), the vault (other tokens of the card's
 * number) and payments (which wallets hold those tokens; the customer's amount history): one
 * statement per module for a whole batch, side by side.
 */
function riskFactSource(m: () => Pick<Modules, 'identity' | 'card'>, clock: Clock): FactSource {
  return async (db, inputs) => {
    const { identity, card } = m();
    const some = (f: (i: AssessInput) => string | undefined) =>
      inputs.flatMap((i) => (f(i) ? [f(i)!] : []));
    const history = (kind: 'payment' | 'topup', kinds: readonly string[]) =>
      paymentsRiskFacts.amountHistory(db, {
        kind,
        customerIds: some((i) => (kinds.includes(i.kind) ? i.customerId : undefined)),
        since: new Date(clock.nowMs() - AMOUNT_HISTORY_DAYS * DAY_MS),
      });
    const tokens = some((i) => i.cardToken);
    const [who, cards, paid, topped, holders] = await Promise.all([
      identity.riskFacts(db, {
        customerIds: some((i) => i.customerId),
        deviceIds: some((i) => i.deviceId),
        sourceIps: some((i) => i.sourceIp),
      }),
      card.vault.cardRiskFacts(tokens, db),
      history('payment', ['code_payment', 'store_payment']),
      history('topup', ['topup']),
      // The holders of the cards and of the other tokens of their numbers, the vault's
      // lookup of those embedded: no second round trip.
      paymentsRiskFacts.cardHolders(db, tokens, card.vault.sameNumberTokens(tokens, db)),
    ]);
    return inputs.map((i): RiskFacts => {
      const c = i.cardToken ? cards.get(i.cardToken) : undefined;
      const others = new Set(
        [...(c?.sameNumberTokens ?? []), i.cardToken ?? ''].flatMap((t) => holders.get(t) ?? []),
      );
      others.delete(i.customerId);
      const h = (i.kind === 'topup' ? topped : paid).get(i.customerId);
      const f: RiskFacts = {
        securityChangeAt: i.customerId ? who.securityChangeAt(i.customerId) : null,
        device: i.deviceId ? who.device(i.deviceId) : null,
        cardOtherCustomers: others.size,
        sourceFailures1h: i.sourceIp ? who.sourceFailures(i.sourceIp) : 0,
        sourceAccounts1d: i.sourceIp ? who.sourceAccounts(i.sourceIp) : 0,
      };
      if (c) f.cardBin = c.bin;
      if (h) {
        f.amountMax30dMinor = h.maxMinor;
        f.amountMedian30dMinor = h.medianMinor;
      }
      return f;
    });
  };
}

/**
 * The risk engine, counting each decision it makes by outcome (kinko_risk_decisions_total).
 * Both ways in are wrapped: assess() inside the engine does not go through assessMany.
 */
function meteredRisk(risk: Risk, metrics: Metrics): Risk {
  const assessMany: Risk['assessMany'] = async (inputs, db, reads) => {
    const decided = await risk.assessMany(inputs, db, reads);
    for (const a of decided) metrics.riskDecision(a.decision);
    return decided;
  };
  const assess: Risk['assess'] = async (input, db) => {
    const decided = await risk.assess(input, db);
    metrics.riskDecision(decided.decision);
    return decided;
  };
  return { ...risk, assessMany, assess };
}

/** This process's metrics; the gauges read the outbox, the pool and the audit chain. */
function metricsOf(
  config: Config,
  log: Logger,
  sql: Sql,
  clock: Clock,
  m: { outbox: Outbox; audit: Audit },
): Metrics {
  return createMetrics({
    log,
    dbPoolConnectionsMax: config.limits.dbPoolConnectionsMax,
    sources: {
      outboxStats: () => m.outbox.stats(),
      dbConnections: () => connectionsByState(sql),
      newestCheckpointAt: () => m.audit.newestCheckpointAt(),
      nowMs: () => clock.nowMs(),
    },
  });
}

/** File integrity of Kinko's install folder; an unapproved change raises an incident. */
function integrityOf(
  log: Logger,
  sql: Sql,
  clock: Clock,
  m: { audit: Audit; incidents: Incidents; metrics: Metrics },
): Integrity {
  return createIntegrity({
    ...{ sql, clock, log, audit: m.audit, version: VERSION, root: ROOT },
    raise: (tx, signal) => m.incidents.raise(tx, signal),
    count: (outcome) => m.metrics.securityEvent('integrity_check', outcome),
    served: servedWebFiles,
  });
}

/**
 * Kinko's own payment pages, as the monitor loads them: the hosted card fields (framed by
 * Kinko's own origin, with the wallet's publishable key) and the 3-D Secure challenge page
 * rendered for a sample payment (the same template, script and headers as a live one).
 */
function kinkoPages(config: Config, key: { publishableKey: string | undefined }) {
  const origin = config.publicOrigin;
  const pages: Array<{ kind: 'hosted_fields' | 'challenge'; url: string }> = [
    { kind: 'challenge', url: `${origin}/3ds/sample-challenge` },
  ];
  if (key.publishableKey) {
    const q = new URLSearchParams({ pk: key.publishableKey, origin });
    pages.push({ kind: 'hosted_fields', url: `${origin}/hosted/fields?${q}` });
  }
  return pages;
}

/** The payment-page monitor; its alerts reach incidents, webhooks and the notify outbox. */
function pagewatchOf(
  config: Config,
  log: Logger,
  sql: Sql,
  clock: Clock,
  m: {
    audit: Audit;
    incidents: Incidents;
    metrics: Metrics;
    outbox: Outbox;
    webhooks: Webhooks;
    merchants: Merchants;
    kinkoPageKey: { publishableKey: string | undefined };
  },
): Pagewatch {
  return createPagewatch({
    ...{ sql, clock, log, audit: m.audit, settings: config.secops.pagewatch },
    raise: (tx, signal) => m.incidents.raise(tx, signal),
    emitWebhook: (tx, e) => m.webhooks.emitEvent(tx, e),
    enqueueEmails: async (tx, messages) => {
      await m.outbox.enqueue(
        tx,
        messages.map((msg) => ({
          topic: NOTIFY_TOPIC,
          key: msg.to,
          payload: { channel: 'email' as const, ...msg },
        })),
      );
    },
    alertContacts: (db, merchantId) => m.merchants.alertContacts(db, merchantId),
    kinkoPages: () => kinkoPages(config, m.kinkoPageKey),
    reportBrowser: (up) => m.metrics.pageMonitorBrowser(up),
    countCheck: (outcome) => m.metrics.securityEvent('pagewatch_check', outcome),
  });
}

/** The audit chain, with security events handed to the SIEM export in the same transaction. */
function auditOf(config: Config, log: Logger, sql: Sql, clock: Clock, siem: Siem): Audit {
  const signingKey = loadOrCreateAuditSigningKey(config.auditSigningKeyFile);
  // Checkpoints are mirrored outside the database, beside the signing key by default.
  const anchorFile = config.auditAnchorFile;
  // Verify also holds the ledger's rows to the batch roots the chain commits to.
  const commitments = [ledgerAuditCommitments];
  const chainDelayMs = config.limits.auditChainDelayMs;
  // Only an export that is on hears of appends: without one, no entry needs audit.append,
  // and a register batch with a refusal (a denied entry is a security event) still sends
  // its writes with COMMIT rather than awaiting them first.
  const onAppend = siem.enabled ? siem.onAppend : undefined;
  const exported = siem.enabled ? isSecurityEvent : undefined;
  return createAudit({
    ...{ clock, sql, signingKey, anchorFile, commitments },
    ...{ chainDelayMs, log, onAppend, exported },
  });
}

/** The SIEM export to the collectors configured (none: it enqueues nothing). */
function siemOf(config: Config, log: Logger, clock: Clock, outbox: Outbox): Siem {
  const s = config.secops;
  const timeoutMs = s.siemSendTimeoutMs;
  return createSiem({
    outbox,
    clock,
    log,
    version: VERSION,
    hostname: os.hostname(),
    syslog: s.siemSyslogUrl
      ? { url: s.siemSyslogUrl, caFile: s.siemSyslogCaFile, timeoutMs }
      : undefined,
    https: s.siemHttpsUrl
      ? { url: s.siemHttpsUrl, token: s.siemHttpsToken, caFile: s.siemHttpsCaFile, timeoutMs }
      : undefined,
    batchSize: Math.min(s.siemBatchSizeMax, config.limits.outboxClaimBatchSizeMax),
    pollMs: s.siemPollMs,
  });
}

/** The orchestrators: wallet and code payments, and web-shop card payments. */
function createPaymentModules(config: Config, log: Logger, sql: Sql, clock: Clock, m: CoreModules) {
  const { audit, ledger, outbox, card, identity, merchants, webhooks, risk, switches } = m;
  const webPayments = createWebPayments({
    sql,
    clock,
    log,
    audit,
    ledger,
    vault: card.vault,
    acquirer: card.acquirer,
    risk,
    webhooks,
    merchantOrigins: (id) => merchants.allowedOrigins(id),
    publicOrigin: config.publicOrigin,
    limits: config.limits.checkout,
    switches,
  });
  const payments = createPayments({
    sql,
    clock,
    log,
    limits: config.limits.payments,
    ledger,
    audit,
    outbox,
    identity,
    vault: card.vault,
    acquirer: card.acquirer,
    merchants,
    webhooks,
    risk,
    // Payment codes are stored only as HMACs under a key kept outside the database.
    codeKey: loadOrCreatePaymentCodeKey(config.paymentCodeKeyFile),
    publicOrigin: config.publicOrigin,
    switches,
  });
  return { webPayments, payments };
}

/**
 * Runs fn every intervalSeconds, one run at a time (a tick during a run is skipped), until
 * the returned stop is called; errors are logged.
 */
function every(intervalSeconds: number, log: Logger, what: string, fn: () => Promise<unknown>) {
  return startPeriodic({
    intervalMs: intervalSeconds * 1000,
    run: fn,
    onError: (err) => log.error({ err }, `${what} failed`),
  });
}

/**
 * `every`, for a job that looks at a window shared by the whole deployment: at each tick the
 * process claims the window (db/job-runs.ts) and runs the job only when its claim landed, so
 * several processes raise one alert per window, not one each.
 */
function everyOnce(
  intervalSeconds: number,
  log: Logger,
  job: string,
  env: { sql: Sql; clock: Clock },
  fn: () => Promise<unknown>,
) {
  const claimedBy = `${os.hostname()}:${process.pid}`;
  return every(intervalSeconds, log, job, async () => {
    const at = env.clock.now();
    if (await claimJobWindow(env.sql, { job, at, intervalSeconds, claimedBy })) await fn();
  });
}

/** Email and SMS: SMTP when configured, else the dev mailbox. */
function notifierOf(config: Config, log: Logger, sql: Sql, clock: Clock, m: Modules): Notifier {
  return createNotifier({
    sql,
    clock,
    log,
    env: config.env,
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    reports: deliveryReports(m),
  });
}

/** Where the notify worker tells how messages with a ref went: incident notices. */
function deliveryReports(m: Pick<Modules, 'incidents'>): DeliveryReports {
  return { record: async (db, reports) => void (await m.incidents.recordDeliveries(db, reports)) };
}

/** The notify worker's reporting: to incidents, with the outbox's attempts bound. */
function reportingOf(config: Config, m: Modules, sql: Sql, clock: Clock) {
  const attemptsMax = config.limits.outboxAttemptsMax;
  return { reports: deliveryReports(m), db: sql, now: () => clock.now(), attemptsMax };
}

/** Delivers email/SMS from the outbox until the returned stop is called. */
function startNotifications(
  log: Logger,
  outbox: Outbox,
  notifier: Notifier,
  reporting: ReturnType<typeof reportingOf>,
) {
  const abort = new AbortController();
  const worker = notifyWorker({ outbox, notifier, log, signal: abort.signal, reporting });
  return async () => {
    abort.abort();
    await worker;
  };
}

/**
 * The outbox's consumers, one pass each, for a caller that runs them itself when it chooses
 * (tests: deterministic, with KINKO_BACKGROUND=off) instead of on timers.
 */
export interface Jobs {
  /** Hands every ready email/SMS notice to the notifier; returns how many were handled. */
  deliverNotices(): Promise<number>;
  /** Receipts, notices and webhook fan-out and deliveries, until nothing more is ready. */
  drainOutbox(): Promise<void>;
  /** The risk-spike detector over the last hour: opens or joins its incident, or null. */
  checkRiskSpike(): ReturnType<Incidents['checkRiskSpike']>;
  /** One pass of the payment-page monitor with every page due (a cycle on demand). */
  pagewatchPass(): ReturnType<Pagewatch['runPass']>;
}

function createJobs(
  config: Config,
  log: Logger,
  m: Modules,
  notifier: Notifier,
  { sql, clock }: { sql: Sql; clock: Clock },
): Jobs {
  const batchSize = config.limits.outboxClaimBatchSizeMax;
  const reporting = reportingOf(config, m, sql, clock);
  const deliverNotices = () =>
    deliverNoticesOnce({ outbox: m.outbox, notifier, log, batchSize, reporting });
  return {
    deliverNotices,
    drainOutbox: async () => {
      for (let pass = 0; pass < 100; pass++) {
        const receipts = await m.payments.sendReceiptsOnce();
        const notices = await deliverNotices();
        const hooks = await m.webhooks.runOnce();
        if (receipts === 0 && notices === 0 && hooks.fannedOut + hooks.attempted === 0) return;
      }
      throw new Error('the outbox did not drain in 100 passes');
    },
    checkRiskSpike: () => checkRiskSpike(m, sql, clock),
    pagewatchPass: () => m.pagewatch.runPass({ allDue: true }),
  };
}

/** Hours of fraud decisions the risk-spike detector is handed: the last and the day before. */
const RISK_SPIKE_HOURS = 25;
const HOUR_MS = 3_600_000;

/**
 * Hands the risk engine's fraud decisions (block and review) per hour, the last hour first,
 * to the incidents module's risk-spike detector. Risk counts, incidents decides: neither
 * module knows the other.
 */
async function checkRiskSpike(
  m: Pick<Modules, 'risk' | 'incidents'>,
  sql: Sql,
  clock: Clock,
): ReturnType<Incidents['checkRiskSpike']> {
  const at = clock.now();
  const hours: number[] = [];
  // One hour at a time, newest first: 25 small reads, not 25 connections of the pool at once.
  for (let i = 0; i < RISK_SPIKE_HOURS; i++) {
    const to = new Date(at.getTime() - i * HOUR_MS);
    const counts = await m.risk.countDecisions(new Date(to.getTime() - HOUR_MS), to);
    hours.push(
      counts
        .filter((c) => c.decision === 'block' || c.decision === 'review')
        .reduce((sum, c) => sum + c.count, 0),
    );
  }
  const [lastHour = 0, ...previousHours] = hours;
  return sql.begin((tx) => m.incidents.checkRiskSpike(tx, { lastHour, previousHours, at }));
}

export interface Platform {
  app: App;
  db: Database;
  modules: Modules;
  /** The background jobs, one pass at a time, for callers that run them (tests). */
  jobs: Jobs;
  /** The base URL the HTTP server listens on. */
  url: string;
  /** Lines for the operator's terminal at start-up (development: the demo merchant's keys). */
  banner: string[];
  stop(): Promise<void>;
}

interface StartOptions {
  clock?: Clock;
  /** The card network: a real acquirer's connector, or a test's; else the simulator. */
  network?: CardNetwork;
  /** An already open database (tests); otherwise one is opened from config. */
  db?: Database;
  listen?: boolean;
}

/** How often the CSP reports of the last interval are checked for new origins and spikes. */
const CSP_CHECK_SECONDS_INTERVAL = 60;

/**
 * How often the risk-spike detector looks at the last hour of fraud decisions. A spike that
 * lasts joins its incident at each look, so the timeline shows it going on.
 */
const RISK_SPIKE_CHECK_SECONDS_INTERVAL = 600;

/** The background jobs of one process; each returns its stop function. */
function startBackground(
  config: Config,
  log: Logger,
  m: Modules,
  notifier: Notifier,
  env: { sql: Sql; clock: Clock },
) {
  const { limits } = config;
  return [
    startNotifications(log, m.outbox, notifier, reportingOf(config, m, env.sql, env.clock)),
    m.audit.startCheckpointTimer(limits.auditCheckpointSecondsInterval, log),
    every(limits.ledgerPendingExpirySecondsInterval, log, 'pending expiry', () =>
      m.ledger.expirePendingTransfers(),
    ),
    m.webhooks.startWorker({ pollMs: limits.webhooks.deliveryPollMs }),
    m.payments.startReceiptsWorker(),
    m.siem.startWorker(),
    // A new blocked origin or a spike of CSP reports on a payment page joins its incident.
    everyOnce(CSP_CHECK_SECONDS_INTERVAL, log, 'csp-report-check', env, () =>
      m.card.vault.checkCspReports((tx, s) => m.incidents.raise(tx, s), CSP_CHECK_SECONDS_INTERVAL),
    ),
    // Hashes the install at start and on a schedule; an unapproved change is an incident.
    m.integrity.startWorker(config.secops.integritySecondsInterval),
    // Loads the payment pages in Chromium on their schedule; a change is an alert.
    m.pagewatch.startWorker(),
    every(limits.idempotency.purgeSecondsInterval, log, 'idempotency purge', () =>
      Promise.all([m.idempotency.purge(), m.payments.purge()]),
    ),
    // An abandoned 3-D Secure challenge ends declined, so it can never be charged later.
    every(limits.acquirerChallengeExpirySecondsInterval, log, '3ds expiry', () =>
      m.card.acquirer.expireChallenges(),
    ),
    // Card network calls whose answer never came are retried with the same key; finished
    // challenges are picked up; stale authorizations are canceled.
    every(limits.checkout.reconcileSecondsInterval, log, 'web payments reconcile', () =>
      m.webPayments.reconcile(),
    ),
    // A burst of blocked or held money movements opens (or joins) the risk-spike incident.
    everyOnce(RISK_SPIKE_CHECK_SECONDS_INTERVAL, log, 'risk-spike-check', env, () =>
      checkRiskSpike(m, env.sql, env.clock),
    ),
  ];
}

/**
 * The background jobs alone, without HTTP (`kinko work`): beside servers started with
 * KINKO_BACKGROUND=off, so a burst of requests and the work it leaves behind do not share
 * one event loop. Every job is safe to run in several processes at once.
 */
export async function startWorkers(
  config: Config,
  log: Logger,
  options: Omit<StartOptions, 'listen'> = {},
): Promise<{ db: Database; stop(): Promise<void> }> {
  const clock = options.clock ?? systemClock;
  const db = options.db ?? (await openDatabase(config, log, { shareRunning: true }));
  try {
    await upgradeDatabase(config, log, db);
    const modules = createModules(config, log, db.sql, clock, options.network);
    const notifier = notifierOf(config, log, db.sql, clock, modules);
    // Webhook deliveries pause while a switch says so: the workers keep the board too.
    const stops = [await modules.switches.start()];
    stops.push(...startBackground(config, log, modules, notifier, { sql: db.sql, clock }));
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        for (const s of stops.reverse()) await s();
        notifier.close();
        await modules.audit.idle();
        if (!options.db) await db.close();
      })());
    return { db, stop };
  } catch (error) {
    if (!options.db) await db.close();
    throw error;
  }
}

/**
 * The risk review queue; a reviewer sees the subject's context from the modules owning it:
 * a customer's activity, or a web payment's facts (its merchant named by merchants).
 */
function mountReviewRoutes(scope: App, m: Modules): void {
  reviewRoutes(scope, {
    reviews: m.risk.reviews,
    operators: m.identity,
    activity: async (review) => {
      if (review.kind === WEB_PAYMENT_REVIEW_KIND) {
        const facts = await m.webPayments.reviewFacts(review.subject_id);
        const merchant = await m.merchants.getMerchant(facts.merchant_id);
        return { web_payment: { ...facts, merchant_name: merchant.name } };
      }
      if (!review.customer_id) return {};
      const [identity, money] = await Promise.all([
        m.identity.recentActivity(review.customer_id),
        m.payments.recentMovements(review.customer_id),
      ]);
      return { activity: { ...identity, ...money } };
    },
  });
}

/** Every module's routes, mounted on the one server. */
function mountRoutes(scope: App, config: Config, sql: Sql, m: Modules, web: WebSettings): void {
  const timeoutMs = config.limits.healthDatabaseTimeoutMs;
  healthRoutes(scope, { sql, timeoutMs, details: () => monitorDetails(m.pagewatch) });
  metricsRoutes(scope, { metrics: m.metrics, access: { token: config.secops.metricsToken } });
  webRoutes(scope, { walletPublishableKey: () => web.walletPublishableKey });
  auditRoutes(scope, { audit: m.audit, requireOperator: (a) => m.identity.requireOperator(a) });
  riskRoutes(scope, { risk: m.risk, operators: m.identity });
  mountReviewRoutes(scope, m);
  m.identity.mountRoutes(scope);
  incidentsRoutes(scope, incidentsWiring(config, m));
  switchesRoutes(scope, {
    switches: m.switches,
    requireOperator: (a) => m.identity.requireOperator(a),
    operatorOf: (req) => m.identity.operatorOf(req),
  });
  merchantRoutes(scope, { merchants: m.merchants, idempotency: m.idempotency });
  mountPagewatch(scope, m);
  webhookRoutes(scope, {
    webhooks: m.webhooks,
    idempotency: m.idempotency,
    requireMerchantKey: m.merchants.requireMerchantKey,
    merchantKeyOf,
    merchantScopeOf,
  });
  webPaymentRoutes(scope, {
    payments: m.webPayments,
    idempotency: m.idempotency,
    requireMerchantKey: (s) => m.merchants.requireMerchantKey(s),
    merchantKeyOf,
    merchantScopeOf,
  });
  paymentsRoutes(scope, {
    payments: m.payments,
    identity: m.identity,
    merchants: m.merchants,
    idempotency: m.idempotency,
    requireMerchantKey: m.merchants.requireMerchantKey,
    merchantKeyOf,
    merchantScopeOf,
  });
  vaultRoutes(scope, {
    vault: m.card.vault,
    requireOperator: m.identity.requireOperator('incidents.read'),
  });
  mountCardExportRoutes(scope, m);
  acquirerRoutes(scope, {
    acquirer: m.card.acquirer,
    challengeScript: m.card.vault.scripts.entry('challenge'),
    showDevCode: config.env !== 'production',
  });
}

/** /readyz's details: the page monitor, when it is not watching (no browser). */
function monitorDetails(pagewatch: Pagewatch): Record<string, string> {
  const s = pagewatch.status();
  return s.monitoring === 'off' ? { page_monitor: s.reason ?? 'off' } : {};
}

/** The page monitor's routes: merchants through their keys or people, operators through theirs. */
function mountPagewatch(scope: App, m: Modules): void {
  pagewatchRoutes(scope, {
    pagewatch: m.pagewatch,
    requireMerchantKey: (s) => m.merchants.requireMerchantKey(s),
    merchantOf: (req) => {
      const p = merchantKeyOf(req);
      return { merchantId: p.merchantId, actor: p.actor };
    },
    merchantWrite: (s) => m.idempotency.route(m.merchants.requireMerchantKey(s), merchantScopeOf),
    requireOperator: (a) => m.identity.requireOperator(a),
    operatorIdOf: (req) => m.identity.operatorOf(req).operatorId,
  });
}

/** The card export: the vault's files over the incidents module's scope runs. */
function mountCardExportRoutes(scope: App, m: Modules): void {
  cardExportRoutes(scope, {
    exports: m.card.vault.cardExports(cardExportScope(m.incidents.deps)),
    requireOperator: (a) => m.identity.requireOperator(a),
    operatorIdOf: (req) => m.identity.operatorOf(req).operatorId,
  });
}

/** The incidents module's routes' parameters: access, and the modules notices reach. */
function incidentsWiring(config: Config, m: Modules): Parameters<typeof incidentsRoutes>[1] {
  return {
    incidents: m.incidents,
    requireOperator: (a) => m.identity.requireOperator(a),
    operatorIdOf: (req) => m.identity.operatorOf(req).operatorId,
    operatorNames: (ids) => m.identity.operatorNames(m.incidents.deps.sql, ids),
    notices: {
      contacts: (db, ids) => m.identity.customerFacts(db, ids),
      freezeLinks: (tx, ids) => m.identity.freezeLinks(tx, ids),
      enqueue: (tx, events) => m.outbox.enqueue(tx, events),
      merchants: {
        people: (db, ids) => m.merchants.ownersAndAdmins(db, ids),
        emitEvents: (tx, events) => m.webhooks.emitEvents(tx, events),
        eventStates: (db, ids) => m.webhooks.eventStates(db, ids),
      },
    },
    compensation: {
      walletAccount: (customerId, currency) =>
        accountInput('customer_wallet', customerId, currency),
      createAccounts: (accounts) => m.ledger.createAccounts(accounts),
      createTransfersInTx: (tx, transfers, ctx) => m.ledger.createTransfersInTx(tx, transfers, ctx),
      transferBatchSizeMax: config.limits.ledgerTransferBatchSizeMax,
      notices: {
        contacts: (db, ids) => m.identity.customerFacts(db, ids),
        enqueue: (tx, events) => m.outbox.enqueue(tx, events),
      },
    },
  };
}

/** What the browser apps need from the composition root. */
interface WebSettings {
  /**
   * The publishable key the wallet links cards with: a merchant (Kinko's own wallet account)
   * whose allowed origins include Kinko's origin. KINKO_WALLET_PUBLISHABLE_KEY in
   * production; the demo merchant's in development.
   */
  walletPublishableKey: string | undefined;
}

/** Development only: the demo merchant, seeded once, with its keys printed at first start. */
async function developmentSetup(config: Config, m: Modules, web: WebSettings) {
  if (config.env !== 'development') return [];
  const seed = await m.merchants.seedDemoMerchant({
    rotate: process.env['KINKO_DEMO_ROTATE'] === '1',
    allowedOrigins: [config.publicOrigin],
  });
  web.walletPublishableKey ??= seed.publishableKey;
  m.kinkoPageKey.publishableKey ??= seed.publishableKey;
  return seed.lines;
}

export async function startPlatform(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<Platform> {
  const clock = options.clock ?? systemClock;
  const db = options.db ?? (await openDatabase(config, log));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    const migrated = await upgradeDatabase(config, log, db);
    if (migrated.applied.length > 0) log.info({ applied: migrated.applied }, 'migrations applied');
    const modules = createModules(config, log, db.sql, clock, options.network);
    const web: WebSettings = { walletPublishableKey: config.walletPublishableKey };
    const notifier = notifierOf(config, log, db.sql, clock, modules);
    stops.push(() => notifier.close());
    // The board of kill switches is loaded before the first request and kept current.
    stops.push(await modules.switches.start());
    const shipped = await modules.risk.versions.offerShipped();
    if (shipped !== null) log.info({ version: shipped }, 'shipped risk rules drafted, not live');
    if (config.background === 'on') {
      stops.push(...startBackground(config, log, modules, notifier, { sql: db.sql, clock }));
    }
    const app = await createServer({
      log,
      limits: config.limits,
      version: VERSION,
      trustedProxies: config.trustedProxies,
      onResponse: observeResponse(modules.metrics),
      routes: (scope) => mountRoutes(scope, config, db.sql, modules, web),
    });
    const metricsPort = config.secops.metricsPort;
    if (metricsPort !== undefined) {
      const server = await startMetricsServer(modules.metrics, config.host, metricsPort, log);
      stops.push(server.stop);
    }
    const banner = await developmentSetup(config, modules, web);
    let url = '';
    if (options.listen !== false) {
      modules.metrics.collectProcessMetrics();
      url = await app.listen({ host: config.host, port: config.port });
    } else {
      await app.ready();
    }
    let stopping: Promise<void> | undefined;
    return {
      app,
      db,
      modules,
      jobs: createJobs(config, log, modules, notifier, { sql: db.sql, clock }),
      url,
      banner,
      stop: () =>
        (stopping ??= (async () => {
          // Stop taking requests first, then the background work, then the database.
          await app.close();
          for (const stop of stops.reverse()) await stop();
          // The audit chainer's last run finishes before the pool closes.
          await modules.audit.idle();
          if (!options.db) await db.close();
        })()),
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    if (!options.db) await db.close();
    throw error;
  }
}
