import net from 'node:net';
import path from 'node:path';

// One validated, frozen configuration: every limit and every key file. Every limit carries
// its unit in its name, most significant word first (ledgerTransferBatchSizeMax,
// httpBodyBytesMax). Settings come from the environment; an invalid one stops start-up with a
// message naming the setting. A grouped limit is set by its group and field in snake case
// (payments.codeSecondsMax: KINKO_PAYMENTS_CODE_SECONDS_MAX, envName()); docs/configuration.md
// lists them all with their defaults and units.

export type KinkoEnv = 'development' | 'production' | 'test';

export interface Config {
  readonly env: KinkoEnv;
  readonly host: string;
  readonly port: number;
  /** postgres://… of an external server; when absent Kinko starts an embedded one. */
  readonly databaseUrl: string | undefined;
  /** The schema owner's URL for migrations, when DATABASE_URL is a least-privilege role. */
  readonly migrationDatabaseUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly logLevel: string;
  /**
   * KINKO_BACKGROUND: whether `kinko serve` also runs the background jobs (outbox workers,
   * expiry, checkpoints). `off` leaves them to `kinko work` processes.
   */
  readonly background: 'on' | 'off';
  /**
   * KINKO_TRUSTED_PROXIES: the load balancers and proxies (CIDR blocks or addresses) whose
   * X-Forwarded-For is believed. Empty by default: the peer address is the client.
   */
  readonly trustedProxies: readonly string[];
  readonly auditSigningKeyFile: string;
  /**
   * KINKO_AUDIT_ANCHOR_FILE: the append-only file checkpoints are mirrored to, per host, and
   * that `kinko audit verify` holds the database to; beside the signing key by default.
   */
  readonly auditAnchorFile: string;
  /** smtp(s)://… for email delivery; without it, messages go to the dev mailbox. */
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  /** The publishable key the wallet app links cards with (Kinko's own wallet merchant). */
  readonly walletPublishableKey: string | undefined;
  /** The vault's key file (key-encryption keys, fingerprint key): 0600, outside dataDir. */
  readonly vaultKeyFile: string;
  /** KINKO_IDENTITY_SECRETS_KEY_FILE: seals TOTP secrets; beside the vault's keys by default. */
  readonly identitySecretsKeyFile: string;
  /** KINKO_WEBHOOK_SECRETS_KEY_FILE: encrypts endpoints' signing secrets; beside the vault's. */
  readonly webhookSecretsKeyFile: string;
  /** KINKO_PAYMENT_CODE_KEY_FILE: payment codes are stored only as HMACs under it. */
  readonly paymentCodeKeyFile: string;
  /** The origin browsers reach Kinko on; hosted card fields and 3-D Secure pages live here. */
  readonly publicOrigin: string;
  /** Security operations: metrics, SIEM export, file and payment-page integrity. */
  readonly secops: SecopsConfig;
  readonly limits: Limits;
}

export interface Limits {
  /** Largest accepted request body; larger bodies get 413 before parsing. */
  readonly httpBodyBytesMax: number;
  /** Time allowed for a whole request before the server gives up on it. */
  readonly httpRequestTimeoutMs: number;
  /** Transfers in one ledger batch (one database transaction). */
  readonly ledgerTransferBatchSizeMax: number;
  /** How often abandoned 3-D Secure challenges are ended (declined, never charged). */
  readonly acquirerChallengeExpirySecondsInterval: number;
  /** How often expired pending transfers are voided and their holds released. */
  readonly ledgerPendingExpirySecondsInterval: number;
  /** Longest timeout a pending (two-phase) transfer may ask for: 30 days, as card holds. */
  readonly ledgerPendingTimeoutSecondsMax: number;
  /**
   * Entries are signed (checkpointed, and mirrored to the anchor file) at most this long after
   * they are written; until then, deleting them is not caught. Every process runs the timer;
   * an advisory lock lets one sign at a time.
   */
  readonly auditCheckpointSecondsInterval: number;
  /**
   * An audit entry is chained (numbered and hashed) about this long after its commit. Until
   * then only the table's privileges protect it, so it is short; one run chains the entries
   * of every transaction committed meanwhile. The checkpoint timer chains anything left.
   */
  readonly auditChainDelayMs: number;
  /**
   * Every process reloads the kill switches that are on this often, besides when PostgreSQL
   * notifies a change, so a missed notification delays a switch by at most this long.
   */
  readonly switchesReconcileSecondsInterval: number;
  readonly dbPoolConnectionsMax: number;
  /**
   * PostgreSQL's statement_timeout for the serving pool; a connection silent for this long
   * plus a grace is dropped, so a frozen database cannot hold a request for ever.
   */
  readonly dbStatementTimeoutMs: number;
  /** A connection attempt to PostgreSQL (TCP and start-up) gives up after this long. */
  readonly dbConnectTimeoutSeconds: number;
  /** /readyz answers 503 when the database has not answered its query within this. */
  readonly healthDatabaseTimeoutMs: number;
  readonly outboxClaimBatchSizeMax: number;
  /**
   * Events a worker whose work is all in the database (receipts, the webhook fan-out) takes
   * and handles in one transaction: no lease to outlive, so larger than a claim.
   */
  readonly outboxTakeBatchSizeMax: number;
  readonly outboxLeaseSecondsMax: number;
  readonly outboxAttemptsMax: number;
  readonly shutdownGraceSecondsMax: number;
  /** Customers, operators, sessions, factors, recovery and login throttles. */
  readonly identity: IdentityLimits;
  /** Data keys re-wrapped per transaction by `kinko keys rotate`. */
  readonly vaultRewrapBatchSizeMax: number;
  /** Lifetime of a hosted card-fields session (its per-session key) in the browser. */
  readonly vaultHostedSessionSecondsMax: number;
  /** Card submissions one hosted session may make before it must be reloaded. */
  readonly vaultHostedTokenizeAttemptsMax: number;
  /** Rows `kinko vault scan` reports per column; the count of findings is still exact. */
  readonly vaultScanFindingsPerColumnMax: number;
  /** Cards one encrypted card export may hold (GMO-PG's 2024 leak named 719,830). */
  readonly vaultCardExportCardsMax: number;
  /** Downloads of one card export; the last one drops its ciphertext. */
  readonly vaultCardExportDownloadsMax: number;
  /** A card export not downloaded by then is dropped: from its request, in seconds. */
  readonly vaultCardExportSecondsMax: number;
  /** Every card network call gives up after this long (then a retry reuses its key). */
  readonly acquirerCallTimeoutMs: number;
  /** A 3-D Secure challenge not answered in time is abandoned: never charged. */
  readonly acquirerChallengeSecondsMax: number;
  /** Wrong one-time codes before a challenge fails (EMV 3DS ACS practice: 3). */
  readonly acquirerChallengeAttemptsMax: number;
  /** Merchant API: keys, terminals, origins (merchants/). */
  readonly merchants: MerchantsLimits;
  /** Idempotency-Key handling of POST requests (http/idempotency.ts). */
  readonly idempotency: IdempotencyLimits;
  /** Webhook endpoints and deliveries (webhooks/). */
  readonly webhooks: WebhooksLimits;
  /** Wallet top-ups, payment codes and register payments (payments/). */
  readonly payments: PaymentsLimits;
  /** Web-shop card payments (checkout/). */
  readonly checkout: CheckoutLimits;
  /** Top-up limits by account tier and the risk engine's memory (risk/). */
  readonly risk: RiskLimits;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting} ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(min < 0 ? /^-?\d+$/ : /^\d+$/).test(raw)) {
    throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * KINKO_TRUSTED_PROXIES: comma- or space-separated CIDR blocks (10.0.0.0/8, fd00::/8) or
 * single addresses, each checked here so that a typo stops start-up instead of trusting
 * nothing (or everything).
 */
function trustedProxies(env: Env): string[] {
  const raw = env['KINKO_TRUSTED_PROXIES'] ?? '';
  const out: string[] = [];
  for (const item of raw.split(/[\s,]+/).filter(Boolean)) {
    const [address = '', bits, extra] = item.split('/');
    const family = net.isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(
        'KINKO_TRUSTED_PROXIES',
        `must list CIDR blocks or addresses (10.0.0.0/8, fd00::/8), got "${item}"`,
      );
    }
    out.push(bits === undefined ? `${address}/${max}` : item);
  }
  return out;
}

function databaseUrl(env: Env, name = 'DATABASE_URL'): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres://, got ${url.protocol}//`);
  }
  return raw;
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
}

function publicOrigin(env: Env): { publicOrigin: string } {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const origin = env['KINKO_PUBLIC_ORIGIN'] || `http://localhost:${port}`;
  let parsed: string | undefined;
  try {
    parsed = new URL(origin).origin;
  } catch {
    parsed = undefined;
  }
  if (parsed !== origin) {
    const why = `must be an origin (scheme://host[:port]), got "${origin}"`;
    throw new ConfigError('KINKO_PUBLIC_ORIGIN', why);
  }
  return { publicOrigin: origin };
}

// Every key file, each settable on its own. The vault's keys, and the secrets keys beside
// them, live outside the data directory, so that a copy of the data directory (or a database
// backup) never carries the keys that decrypt it. The audit anchor sits beside the signing
// key: a file per host, which the database cannot rewrite.
function keyFiles(env: Env, dataDir: string, cwd: string) {
  const file = (name: string, fallback: string) => path.resolve(cwd, env[name] || fallback);
  const home = env['HOME'];
  const vaultKeyFile = file(
    'KINKO_KEK_FILE',
    home
      ? path.join(home, '.config', 'kinko', 'vault-keys.json')
      : path.join(path.dirname(dataDir), '.kinko-keys', 'vault-keys.json'),
  );
  const keyDir = path.dirname(vaultKeyFile);
  const auditSigningKeyFile = file(
    'KINKO_AUDIT_SIGNING_KEY_FILE',
    path.join(dataDir, 'keys', 'audit-signing-ed25519.pem'),
  );
  return {
    vaultKeyFile,
    auditSigningKeyFile,
    auditAnchorFile: file(
      'KINKO_AUDIT_ANCHOR_FILE',
      path.join(path.dirname(auditSigningKeyFile), 'audit-anchor.jsonl'),
    ),
    identitySecretsKeyFile: file(
      'KINKO_IDENTITY_SECRETS_KEY_FILE',
      path.join(keyDir, 'identity-secrets.key'),
    ),
    webhookSecretsKeyFile: file(
      'KINKO_WEBHOOK_SECRETS_KEY_FILE',
      path.join(keyDir, 'webhook-secrets.key'),
    ),
    paymentCodeKeyFile: file('KINKO_PAYMENT_CODE_KEY_FILE', path.join(keyDir, 'payment-codes.key')),
  };
}

// Card path limits: the vault, hosted card fields and the card network; and the merchant API's.
function cardLimits(env: Env) {
  return {
    ...merchantApiLimits(env),
    vaultRewrapBatchSizeMax: integer(env, 'KINKO_VAULT_REWRAP_BATCH_SIZE_MAX', 500, 1, 10_000),
    vaultHostedSessionSecondsMax: 30 * 60,
    vaultHostedTokenizeAttemptsMax: 5,
    vaultScanFindingsPerColumnMax: 100,
    vaultCardExportCardsMax: 1_000_000,
    vaultCardExportDownloadsMax: 3,
    vaultCardExportSecondsMax: 72 * 60 * 60,
    acquirerCallTimeoutMs: integer(env, 'KINKO_ACQUIRER_CALL_TIMEOUT_MS', 10_000, 10, 120_000),
    acquirerChallengeSecondsMax: 10 * 60,
    acquirerChallengeAttemptsMax: 3,
  };
}

/** The platform's own limits: HTTP, ledger, audit, database, outbox, shutdown. */
function platformLimits(env: Env) {
  return {
    httpBodyBytesMax: integer(env, 'KINKO_HTTP_BODY_BYTES_MAX', 64 * 1024, 1024, 16 * 1024 * 1024),
    httpRequestTimeoutMs: integer(env, 'KINKO_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    ledgerTransferBatchSizeMax: integer(
      env,
      'KINKO_LEDGER_TRANSFER_BATCH_SIZE_MAX',
      8190,
      1,
      65_535,
    ),
    ledgerPendingTimeoutSecondsMax: 30 * 24 * 3600,
    ledgerPendingExpirySecondsInterval: 5,
    acquirerChallengeExpirySecondsInterval: 30,
    auditCheckpointSecondsInterval: integer(
      env,
      'KINKO_AUDIT_CHECKPOINT_SECONDS_INTERVAL',
      5,
      1,
      86_400,
    ),
    auditChainDelayMs: 10,
    switchesReconcileSecondsInterval: integer(
      env,
      'KINKO_SWITCHES_RECONCILE_SECONDS_INTERVAL',
      5,
      1,
      60,
    ),
    dbPoolConnectionsMax: integer(env, 'KINKO_DB_POOL_CONNECTIONS_MAX', 10, 1, 200),
    dbStatementTimeoutMs: integer(env, 'KINKO_DB_STATEMENT_TIMEOUT_MS', 15_000, 100, 600_000),
    dbConnectTimeoutSeconds: integer(env, 'KINKO_DB_CONNECT_TIMEOUT_SECONDS', 5, 1, 120),
    healthDatabaseTimeoutMs: 2_000,
    outboxClaimBatchSizeMax: 100,
    outboxTakeBatchSizeMax: 500,
    outboxLeaseSecondsMax: 60,
    outboxAttemptsMax: integer(env, 'KINKO_OUTBOX_ATTEMPTS_MAX', 12, 1, 100),
    shutdownGraceSecondsMax: 10,
  };
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const kinkoEnv = oneOf<KinkoEnv>(env, 'KINKO_ENV', 'development', [
    'development',
    'production',
    'test',
  ]);
  const dataDir = path.resolve(cwd, env['KINKO_DATA_DIR'] || '.kinko');
  const host = env['HOST'] || '127.0.0.1';
  const logLevel = oneOf(env, 'LOG_LEVEL', kinkoEnv === 'test' ? 'warn' : 'info', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ]);
  const url = databaseUrl(env);
  const migrationUrl = databaseUrl(env, 'KINKO_MIGRATION_DATABASE_URL');
  if (migrationUrl && !url) {
    throw new ConfigError('KINKO_MIGRATION_DATABASE_URL', 'needs DATABASE_URL (the serving role)');
  }
  if (kinkoEnv === 'production' && !url) {
    throw new ConfigError(
      'DATABASE_URL',
      'is required in production (the embedded server is for development)',
    );
  }
  const config: Config = {
    env: kinkoEnv,
    host,
    port: integer(env, 'PORT', 8080, 0, 65535),
    databaseUrl: url,
    migrationDatabaseUrl: migrationUrl,
    dataDir,
    embeddedPgPort: integer(env, 'KINKO_PG_PORT', 54329, 1024, 65535),
    logLevel,
    background: oneOf(env, 'KINKO_BACKGROUND', 'on', ['on', 'off']),
    trustedProxies: trustedProxies(env),
    ...keyFiles(env, dataDir, cwd),
    smtpUrl: env['SMTP_URL'] || undefined,
    mailFrom: env['KINKO_MAIL_FROM'] || 'Kinko <no-reply@kinko.invalid>',
    walletPublishableKey: env['KINKO_WALLET_PUBLISHABLE_KEY'] || undefined,
    ...publicOrigin(env),
    secops: secopsConfig(env, kinkoEnv),
    limits: {
      ...cardLimits(env),
      ...platformLimits(env),
      identity: identityLimits(env, kinkoEnv),
      ...moneyLimits(env),
    },
  };
  checkTogether(config.limits);
  return deepFreeze(config);
}

/**
 * Identity limits (customers, operators, sessions, factors, recovery, throttles). Each names
 * its unit and, for a security limit, its source.
 */
export interface IdentityLimits {
  /** NIST SP 800-63B §3.1.1.2: at least 8 characters when used with other factors. */
  readonly passwordCharsMin: number;
  /** NIST SP 800-63B §3.1.1.2: accept at least 64 characters. */
  readonly passwordCharsMax: number;
  /** PCI DSS 4.0 8.3.6: operator passwords at least 12 characters. */
  readonly operatorPasswordCharsMin: number;
  /**
   * argon2id cost (OWASP Password Storage Cheat Sheet minimum: 19 MiB, 2 passes, 1 lane).
   * KINKO_ENV=test uses 1 MiB / 1 pass so that attack tests hashing thousands of passwords
   * run in seconds; production refuses anything below the OWASP minimum.
   */
  readonly argon2MemoryKib: number;
  readonly argon2Passes: number;
  readonly argon2Lanes: number;
  /** NIST SP 800-63B §3.1.3: out-of-band codes at least 6 digits. */
  readonly codeDigits: number;
  /** One-time codes to an email or phone live 10 minutes at most. */
  readonly codeSecondsMax: number;
  /** Wrong guesses before a one-time code is void (NIST SP 800-63B §3.2.2 throttling). */
  readonly codeAttemptsMax: number;
  /** NIST SP 800-63B AAL2 §2.2.3: re-authenticate after 30 minutes idle. */
  readonly sessionIdleSecondsMax: number;
  /** NIST SP 800-63B AAL2 §2.2.3: re-authenticate at least every 12 hours. */
  readonly sessionAbsoluteSecondsMax: number;
  /** Strong authentication counts as recent for this long (OWASP ASVS 5.0 V7.5 re-auth). */
  readonly stepUpSecondsMax: number;
  /** A device challenge must be signed and used within this time. */
  readonly deviceChallengeSecondsMax: number;
  /** A WebAuthn ceremony must finish within this time (W3C WebAuthn L3 §5.4 timeout). */
  readonly webauthnChallengeSecondsMax: number;
  /** Issue #3: recovery tokens live 15 minutes at most. */
  readonly recoverySecondsMax: number;
  readonly recoveryStartsPerAccountPerHourMax: number;
  readonly recoveryStartsPerSourcePerHourMax: number;
  /** Money movement held after a recovery without an existing second factor (default 24 h). */
  readonly recoveryMoneyHoldSeconds: number;
  /** How long a "this was not me" link can freeze the account. */
  readonly freezeLinkSecondsMax: number;
  /** Recovery codes issued per set; each carries recoveryCodeBits of entropy (≥ 64). */
  readonly recoveryCodesPerSet: number;
  readonly recoveryCodeBits: number;
  /** Consecutive password failures per account before delays start (OWASP ASVS 5.0 6.3.5). */
  readonly loginFailuresFreeMax: number;
  /** First progressive delay; it doubles per further failure up to loginDelaySecondsMax. */
  readonly loginDelaySecondsBase: number;
  readonly loginDelaySecondsMax: number;
  /** NIST SP 800-63B §3.2.2: at most 100 consecutive failures, then the password is off. */
  readonly loginFailuresDisableAfter: number;
  /** Failures per source network (IPv4 /24, IPv6 /64) are counted in windows this long. */
  readonly sourceWindowSeconds: number;
  /** Failures in a window after which every attempt from the source must wait. */
  readonly sourceFailuresSlowAfter: number;
  readonly sourceSlowDelaySeconds: number;
  /** Failures in a window after which the source is blocked (OWASP credential stuffing). */
  readonly sourceFailuresBlockAfter: number;
  readonly sourceBlockSeconds: number;
  /** PCI DSS 4.0 8.3.4: lock operators out after at most 10 failures, for ≥ 30 minutes. */
  readonly operatorFailuresLockAfter: number;
  readonly operatorLockSeconds: number;
  /** PCI DSS 4.0 8.2.8: operators re-authenticate after 15 idle minutes. */
  readonly operatorSessionIdleSecondsMax: number;
  readonly operatorSessionAbsoluteSecondsMax: number;
  /** RFC 6238: 30-second steps, 6 digits, ±1 step of clock drift accepted. */
  readonly totpStepSeconds: number;
  readonly totpDigits: number;
  readonly totpDriftStepsMax: number;
}

const OWASP_ARGON2 = { memoryKib: 19_456, passes: 2, lanes: 1 };

function identityLimits(env: Env, kinkoEnv: KinkoEnv): IdentityLimits {
  const light = kinkoEnv === 'test';
  const memoryKib = integer(env, 'KINKO_ARGON2_MEMORY_KIB', light ? 1024 : 19_456, 64, 4_194_304);
  const passes = integer(env, 'KINKO_ARGON2_PASSES', light ? 1 : 2, 1, 64);
  if (kinkoEnv === 'production' && (memoryKib < OWASP_ARGON2.memoryKib || passes < 2)) {
    throw new ConfigError('KINKO_ARGON2_MEMORY_KIB', 'is below the OWASP minimum (19456 KiB, 2)');
  }
  return {
    passwordCharsMin: 8,
    passwordCharsMax: 128,
    operatorPasswordCharsMin: 12,
    argon2MemoryKib: memoryKib,
    argon2Passes: passes,
    argon2Lanes: OWASP_ARGON2.lanes,
    codeDigits: 6,
    codeSecondsMax: 10 * 60,
    codeAttemptsMax: 5,
    sessionIdleSecondsMax: 30 * 60,
    sessionAbsoluteSecondsMax: 12 * 3600,
    stepUpSecondsMax: 5 * 60,
    deviceChallengeSecondsMax: 60,
    webauthnChallengeSecondsMax: 5 * 60,
    recoverySecondsMax: 15 * 60,
    recoveryStartsPerAccountPerHourMax: 3,
    recoveryStartsPerSourcePerHourMax: 20,
    recoveryMoneyHoldSeconds: integer(
      env,
      'KINKO_RECOVERY_MONEY_HOLD_SECONDS',
      86_400,
      0,
      30 * 86_400,
    ),
    freezeLinkSecondsMax: 30 * 86_400,
    recoveryCodesPerSet: 10,
    recoveryCodeBits: 80,
    loginFailuresFreeMax: 5,
    loginDelaySecondsBase: 2,
    loginDelaySecondsMax: 15 * 60,
    loginFailuresDisableAfter: 100,
    sourceWindowSeconds: 15 * 60,
    sourceFailuresSlowAfter: integer(env, 'KINKO_SOURCE_FAILURES_SLOW_AFTER', 20, 1, 10_000),
    sourceSlowDelaySeconds: 5,
    sourceFailuresBlockAfter: integer(env, 'KINKO_SOURCE_FAILURES_BLOCK_AFTER', 50, 1, 100_000),
    sourceBlockSeconds: 3600,
    operatorFailuresLockAfter: 10,
    operatorLockSeconds: 30 * 60,
    operatorSessionIdleSecondsMax: 15 * 60,
    operatorSessionAbsoluteSecondsMax: 8 * 3600,
    totpStepSeconds: 30,
    totpDigits: 6,
    totpDriftStepsMax: 1,
  };
}

export interface MerchantsLimits {
  /** Longest time a rolled API key keeps working beside its replacement. */
  readonly apiKeyOverlapSecondsMax: number;
  /** Overlap when a roll names none. */
  readonly apiKeyOverlapSecondsDefault: number;
  /** Keys (all kinds, revoked ones excluded) one merchant may hold. */
  readonly apiKeysPerMerchantMax: number;
  readonly allowedOriginsPerMerchantMax: number;
  /** last_used_at is written at most this often per key, so hot keys do not rewrite a row. */
  readonly apiKeyLastUsedSecondsResolution: number;
  /**
   * How long an invitation to a merchant's dashboard stays usable (72 h): long enough for a
   * weekend, short enough that a forgotten link in a mailbox stops being a way in.
   */
  readonly invitationSecondsMax: number;
}

export interface IdempotencyLimits {
  /** Issue #5: keys are kept at least 24 hours; older ones are purged. */
  readonly keySecondsRetention: number;
  /** Longest Idempotency-Key value (IETF draft-ietf-httpapi-idempotency-key-header). */
  readonly keyCharsMax: number;
  /** Rows deleted per statement by purge(). */
  readonly purgeBatchSizeMax: number;
  /** How often keys past retention (merchant API and register) are purged. */
  readonly purgeSecondsInterval: number;
}

export interface WebhooksLimits {
  /** Issue #5: deliveries are retried for up to 3 days after the event. */
  readonly deliverySecondsMax: number;
  /** First retry delay; doubles per failed attempt up to retrySecondsMax. */
  readonly retrySecondsBase: number;
  readonly retrySecondsMax: number;
  /** Every delivery attempt gives up after this long (connect, send and response). */
  readonly deliveryTimeoutMs: number;
  /** Response bytes kept in the delivery log per attempt. */
  readonly responseSnippetBytesMax: number;
  readonly endpointsPerMerchantMax: number;
  /** Longest time the previous secret keeps signing after a rotation. */
  readonly secretOverlapSecondsMax: number;
  readonly secretOverlapSecondsDefault: number;
  /** Receivers should refuse a signature timestamp further than this from their clock. */
  readonly signatureToleranceSeconds: number;
  /** Deliveries claimed per worker pass. */
  readonly deliveryBatchSizeMax: number;
  /** An idle delivery worker looks for due deliveries this often. */
  readonly deliveryPollMs: number;
}

// The merchant API's limits: keys, idempotency and webhooks.
function merchantApiLimits(env: Env) {
  return {
    merchants: {
      apiKeyOverlapSecondsMax: 7 * 86_400,
      apiKeyOverlapSecondsDefault: 86_400,
      apiKeysPerMerchantMax: 100,
      allowedOriginsPerMerchantMax: 20,
      apiKeyLastUsedSecondsResolution: 60,
      invitationSecondsMax: 72 * 3600,
    },
    idempotency: {
      keySecondsRetention: integer(
        env,
        'KINKO_IDEMPOTENCY_KEY_SECONDS_RETENTION',
        86_400,
        86_400,
        30 * 86_400,
      ),
      keyCharsMax: 255,
      purgeBatchSizeMax: 1000,
      purgeSecondsInterval: 3600,
    },
    webhooks: {
      deliverySecondsMax: 3 * 86_400,
      retrySecondsBase: 30,
      retrySecondsMax: 6 * 3600,
      deliveryTimeoutMs: integer(env, 'KINKO_WEBHOOK_DELIVERY_TIMEOUT_MS', 10_000, 100, 60_000),
      responseSnippetBytesMax: 1024,
      endpointsPerMerchantMax: 16,
      secretOverlapSecondsMax: 7 * 86_400,
      secretOverlapSecondsDefault: 86_400,
      signatureToleranceSeconds: 300,
      deliveryBatchSizeMax: 50,
      deliveryPollMs: 1000,
    },
  };
}

/**
 * How a grouped limit is named in the environment: payments.codeSecondsMax is
 * KINKO_PAYMENTS_CODE_SECONDS_MAX.
 */
export function envName(group: string, field: string): string {
  return `KINKO_${group}_${field.replace(/[A-Z]/g, (c) => `_${c}`)}`.toUpperCase();
}

/** [default, least, most] of a whole-number setting. */
type Bounds = readonly [fallback: number, min: number, max: number];

function integers<K extends string>(env: Env, group: string, spec: Record<K, Bounds>) {
  const out = {} as Record<K, number>;
  for (const [field, [fallback, min, max]] of Object.entries(spec) as Array<[K, Bounds]>) {
    out[field] = integer(env, envName(group, field), fallback, min, max);
  }
  return out;
}

/** An amount in minor units (bigint, as all money), from 1 up to max. */
function minor(env: Env, name: string, fallback: bigint, max: bigint): bigint {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,18}$/.test(raw)) {
    throw new ConfigError(name, `must be a whole amount in minor units, got "${raw}"`);
  }
  const value = BigInt(raw);
  if (value < 1n || value > max) {
    throw new ConfigError(name, `must be between 1 and ${max} minor units, got ${value}`);
  }
  return value;
}

export interface PaymentsLimits {
  /** A payment code's life (EMVCo CPM practice: at most 5 minutes). */
  readonly codeSecondsMax: number;
  /** Unused, unexpired codes one customer may hold at once. */
  readonly codesActivePerCustomerMax: number;
  /** Window of the guessing counters (wrong, expired or used codes). */
  readonly guessWindowSeconds: number;
  readonly guessFailuresPerTerminalMax: number;
  readonly guessFailuresPerMerchantMax: number;
  /** The micro-batcher waits at most this long for more redemptions before it commits. */
  readonly batchWindowMs: number;
  readonly batchSizeMax: number;
  /** Register batches at once: one reads and decides while another writes under the lock. */
  readonly batchesInFlightMax: number;
  /**
   * Register batches that have sent their writes and COMMIT and wait for its answer, beside
   * those in flight: each gave its slot to the next batch (0: a batch keeps it to the end).
   */
  readonly batchesCommittingMax: number;
  /** Register idempotency keys are kept this long (≥ 24 h, as the merchant API's). */
  readonly idempotencySecondsRetention: number;
  /** A risk step_up is satisfied by a strong factor no older than this. */
  readonly riskStepUpSecondsMax: number;
  /** A terminal's credentials are re-checked at least this often (revocation delay). */
  readonly terminalAuthCacheMs: number;
  readonly historyPageSizeMax: number;
  /**
   * Largest amount of one payment, refund or top-up (JPY). Fixed: the request schemas and
   * the browser apps' amount parser carry the same figure.
   */
  readonly amountMinorMax: bigint;
  /**
   * A wallet waiting to hear that its code was charged (code-watch.ts) is answered within
   * codeWatchPollMs of the payment, and waits codeWatchSecondsMax at most per request: below
   * the 60 s idle timeout of common proxies, so a long poll is not cut off mid-wait.
   */
  readonly codeWatchPollMs: number;
  readonly codeWatchSecondsMax: number;
  /** Waits held open at once per process, and per customer (a phone needs one). */
  readonly codeWatchWaitsMax: number;
  readonly codeWatchWaitsPerCustomerMax: number;
}

export interface CheckoutLimits {
  /** How long an approved authorization may wait for its capture (the ledger hold's timeout). */
  readonly authorizationSecondsMax: number;
  /**
   * How long one card network call holds its payment against other requests: longer than
   * acquirerCallTimeoutMs, so a call still running is never taken over.
   */
  readonly callLockSeconds: number;
  /** Payments and refunds the reconcile job takes per run. */
  readonly reconcileBatchSizeMax: number;
  /** How often payments with an unanswered card network call are reconciled. */
  readonly reconcileSecondsInterval: number;
}

/** One tier's top-up limits, in minor units (JPY). */
interface RiskTopupLimits {
  readonly perTopupMinor: bigint;
  readonly dailyMinor: bigint;
  readonly monthlyMinor: bigint;
}

export interface RiskLimits {
  /** Top-up limits by tier; a customer may only lower them. */
  readonly topup: {
    readonly standard: RiskTopupLimits;
    readonly new: RiskTopupLimits;
    readonly cooldown: RiskTopupLimits;
  };
  /** An account younger than this is `new` (FATF/JP practice: tighter until it has history). */
  readonly accountNewSecondsMax: number;
  /** After a post-recovery hold ends, limits stay tight this long (7pay 2019). */
  readonly cooldownSecondsAfterHold: number;
  /** Offset of the local day used for daily and monthly limits: JST, +9 h. */
  readonly usageUtcOffsetMinutes: number;
  /** How long a process uses the rule sets it loaded before asking which are live again. */
  readonly rulesRefreshMs: number;
  /** Shards per velocity bucket: customers at one busy store do not queue on one row. */
  readonly velocityShardsMax: number;
  /** `off` runs the limits only (no rules, counters or decision rows): benchmarks compare. */
  readonly engine: 'on' | 'off';
}

const DAY_SECONDS = 86_400;

function paymentsLimits(env: Env): PaymentsLimits {
  return {
    ...integers(env, 'PAYMENTS', {
      codeSecondsMax: [300, 30, 300],
      codesActivePerCustomerMax: [5, 1, 100],
      guessWindowSeconds: [600, 60, DAY_SECONDS],
      guessFailuresPerTerminalMax: [20, 1, 10_000],
      guessFailuresPerMerchantMax: [200, 1, 100_000],
      batchWindowMs: [1, 0, 1000],
      batchSizeMax: [500, 1, 5000],
      batchesInFlightMax: [1, 1, 64],
      batchesCommittingMax: [0, 0, 64],
      idempotencySecondsRetention: [2 * DAY_SECONDS, DAY_SECONDS, 30 * DAY_SECONDS],
      riskStepUpSecondsMax: [120, 10, 3600],
      terminalAuthCacheMs: [2000, 0, 60_000],
      historyPageSizeMax: [100, 1, 1000],
      codeWatchPollMs: [250, 10, 5000],
      codeWatchSecondsMax: [25, 1, 55],
      codeWatchWaitsMax: [2000, 1, 100_000],
      codeWatchWaitsPerCustomerMax: [2, 1, 100],
    }),
    amountMinorMax: 10_000_000n,
  };
}

const TOPUP_DEFAULTS = {
  standard: [100_000n, 300_000n, 1_000_000n],
  new: [30_000n, 50_000n, 200_000n],
  cooldown: [10_000n, 20_000n, 50_000n],
} as const;

function riskLimits(env: Env, amountMinorMax: bigint): RiskLimits {
  const tier = (name: keyof typeof TOPUP_DEFAULTS): RiskTopupLimits => {
    const [perTopup, daily, monthly] = TOPUP_DEFAULTS[name];
    const setting = (field: string) => envName('RISK', `topup_${name}_${field}`);
    const limits = {
      perTopupMinor: minor(env, setting('perTopupMinor'), perTopup, amountMinorMax),
      dailyMinor: minor(env, setting('dailyMinor'), daily, 1_000n * amountMinorMax),
      monthlyMinor: minor(env, setting('monthlyMinor'), monthly, 1_000n * amountMinorMax),
    };
    // A day's limit below one top-up's (or a month's below a day's) is a typo, not a policy.
    if (limits.dailyMinor < limits.perTopupMinor) {
      throw new ConfigError(setting('dailyMinor'), `must be at least ${setting('perTopupMinor')}`);
    }
    if (limits.monthlyMinor < limits.dailyMinor) {
      throw new ConfigError(setting('monthlyMinor'), `must be at least ${setting('dailyMinor')}`);
    }
    return limits;
  };
  return {
    topup: { standard: tier('standard'), new: tier('new'), cooldown: tier('cooldown') },
    ...integers(env, 'RISK', {
      accountNewSecondsMax: [30 * DAY_SECONDS, 0, 365 * DAY_SECONDS],
      cooldownSecondsAfterHold: [7 * DAY_SECONDS, 0, 365 * DAY_SECONDS],
      usageUtcOffsetMinutes: [9 * 60, -12 * 60, 14 * 60],
      rulesRefreshMs: [2000, 0, 60_000],
      velocityShardsMax: [8, 1, 64],
    }),
    engine: oneOf(env, envName('RISK', 'engine'), 'on', ['on', 'off'] as const),
  };
}

/** Wallet and code payments, web-shop card payments, and the risk engine. */
function moneyLimits(env: Env) {
  const payments = paymentsLimits(env);
  const checkout: CheckoutLimits = integers(env, 'CHECKOUT', {
    authorizationSecondsMax: [7 * DAY_SECONDS, 3600, 30 * DAY_SECONDS],
    callLockSeconds: [60, 1, 3600],
    reconcileBatchSizeMax: [100, 1, 10_000],
    reconcileSecondsInterval: [5, 1, 3600],
  });
  return { payments, checkout, risk: riskLimits(env, payments.amountMinorMax) };
}

/** Limits that must agree with each other, checked once all are read. */
function checkTogether(limits: Limits): void {
  if (limits.checkout.callLockSeconds * 1000 <= limits.acquirerCallTimeoutMs) {
    throw new ConfigError(
      'KINKO_CHECKOUT_CALL_LOCK_SECONDS',
      `must be longer than KINKO_ACQUIRER_CALL_TIMEOUT_MS (${limits.acquirerCallTimeoutMs} ms)`,
    );
  }
  if (limits.checkout.authorizationSecondsMax > limits.ledgerPendingTimeoutSecondsMax) {
    throw new ConfigError(
      'KINKO_CHECKOUT_AUTHORIZATION_SECONDS_MAX',
      `must be at most ${limits.ledgerPendingTimeoutSecondsMax} (the ledger's longest hold)`,
    );
  }
}

/** Security operations: where metrics are served and security events are sent. */
interface SecopsConfig {
  /**
   * KINKO_METRICS_TOKEN: the bearer token GET /metrics on the API port asks for (at least
   * 32 characters). Without it (and without a metrics port) /metrics is not served.
   */
  readonly metricsToken: string | undefined;
  /** KINKO_METRICS_PORT: a separate listener on HOST serving only /metrics, no token. */
  readonly metricsPort: number | undefined;
  /** KINKO_SIEM_SYSLOG_URL: tcp://host:port or tls://host:port (RFC 5424, RFC 6587 framing). */
  readonly siemSyslogUrl: string | undefined;
  /** KINKO_SIEM_SYSLOG_CA_FILE: PEM of the CA a tls:// collector's certificate chains to. */
  readonly siemSyslogCaFile: string | undefined;
  /** KINKO_SIEM_HTTPS_URL: a collector taking POSTed NDJSON batches (https:// in production). */
  readonly siemHttpsUrl: string | undefined;
  /** KINKO_SIEM_HTTPS_TOKEN: sent as Authorization: Bearer to the HTTPS collector. */
  readonly siemHttpsToken: string | undefined;
  /** KINKO_SIEM_HTTPS_CA_FILE: PEM of the CA the HTTPS collector's certificate chains to. */
  readonly siemHttpsCaFile: string | undefined;
  /** Events sent per batch to a collector; one batch is in flight at a time (in order). */
  readonly siemBatchSizeMax: number;
  /** A collector that does not accept a batch within this long counts as down. */
  readonly siemSendTimeoutMs: number;
  /** How often the exporter looks for events, and how long it waits after a failure. */
  readonly siemPollMs: number;
  /** How often the files Kinko serves and runs are hashed and compared (file integrity). */
  readonly integritySecondsInterval: number;
  /** The payment-page integrity monitor (src/pagewatch). */
  readonly pagewatch: PagewatchConfig;
}

/** The payment-page monitor's settings (docs/configuration.md, "Payment-page monitor"). */
interface PagewatchConfig {
  /**
   * KINKO_PAGEWATCH_SECONDS_INTERVAL: each page is loaded this often (default 300). PCI DSS
   * 11.6.1 asks for at least weekly, so a week is the longest allowed.
   */
  readonly intervalSeconds: number;
  /** KINKO_PAGEWATCH_BROWSER: the Chromium executable (Debian's /usr/bin/chromium). */
  readonly executablePath: string;
  /**
   * KINKO_PAGEWATCH_ALLOW_LOOPBACK=1: pages on loopback addresses (and http:// to them) may be
   * watched, for local shops in development and tests. Refused in production: the monitor
   * would load Kinko's own internal services for whoever registers their address.
   */
  readonly allowLoopback: boolean;
  readonly loadTimeoutMs: number;
  /** After a page's load event, how long late scripts get before the snapshot. */
  readonly settleMs: number;
  readonly fetchTimeoutMs: number;
  readonly fetchBodyBytesMax: number;
  readonly pagesPerMerchantMax: number;
  readonly pagesPerPassMax: number;
}

function pagewatchConfig(env: Env, kinkoEnv: KinkoEnv): PagewatchConfig {
  const loopback = oneOf(env, 'KINKO_PAGEWATCH_ALLOW_LOOPBACK', '0', ['0', '1']) === '1';
  if (loopback && kinkoEnv === 'production') {
    throw new ConfigError('KINKO_PAGEWATCH_ALLOW_LOOPBACK', 'is for development and tests only');
  }
  return {
    intervalSeconds: integer(env, 'KINKO_PAGEWATCH_SECONDS_INTERVAL', 300, 10, 604_800),
    executablePath: env['KINKO_PAGEWATCH_BROWSER'] || '/usr/bin/chromium',
    allowLoopback: loopback,
    loadTimeoutMs: integer(env, 'KINKO_PAGEWATCH_LOAD_TIMEOUT_MS', 30_000, 1_000, 120_000),
    settleMs: integer(env, 'KINKO_PAGEWATCH_SETTLE_MS', 1_000, 0, 30_000),
    fetchTimeoutMs: integer(env, 'KINKO_PAGEWATCH_FETCH_TIMEOUT_MS', 10_000, 500, 60_000),
    fetchBodyBytesMax: integer(env, 'KINKO_PAGEWATCH_BODY_BYTES_MAX', 5_000_000, 1_000, 5e7),
    pagesPerMerchantMax: integer(env, 'KINKO_PAGEWATCH_PAGES_PER_MERCHANT_MAX', 50, 1, 1_000),
    pagesPerPassMax: integer(env, 'KINKO_PAGEWATCH_PAGES_PER_PASS_MAX', 50, 1, 1_000),
  };
}

const METRICS_TOKEN_CHARS_MIN = 32;

function secopsConfig(env: Env, kinkoEnv: KinkoEnv): SecopsConfig {
  const token = env['KINKO_METRICS_TOKEN'] || undefined;
  if (token !== undefined && token.length < METRICS_TOKEN_CHARS_MIN) {
    const min = METRICS_TOKEN_CHARS_MIN;
    throw new ConfigError('KINKO_METRICS_TOKEN', `must be at least ${min} characters`);
  }
  const port = integer(env, 'KINKO_METRICS_PORT', 0, 0, 65_535);
  const syslog = env['KINKO_SIEM_SYSLOG_URL'] || undefined;
  if (syslog !== undefined && !/^(tcp|tls):\/\/[^/:]+:\d{1,5}$/.test(syslog)) {
    throw new ConfigError('KINKO_SIEM_SYSLOG_URL', `must be tcp://host:port or tls://host:port`);
  }
  const https = env['KINKO_SIEM_HTTPS_URL'] || undefined;
  const httpsOk = kinkoEnv === 'production' ? /^https:\/\// : /^https?:\/\//;
  if (https !== undefined && !httpsOk.test(https)) {
    throw new ConfigError('KINKO_SIEM_HTTPS_URL', 'must be an https:// URL');
  }
  return {
    metricsToken: token,
    metricsPort: port === 0 ? undefined : port,
    siemSyslogUrl: syslog,
    siemSyslogCaFile: env['KINKO_SIEM_SYSLOG_CA_FILE'] || undefined,
    siemHttpsUrl: https,
    siemHttpsToken: env['KINKO_SIEM_HTTPS_TOKEN'] || undefined,
    siemHttpsCaFile: env['KINKO_SIEM_HTTPS_CA_FILE'] || undefined,
    siemBatchSizeMax: integer(env, 'KINKO_SIEM_BATCH_SIZE_MAX', 100, 1, 100),
    siemSendTimeoutMs: integer(env, 'KINKO_SIEM_SEND_TIMEOUT_MS', 5_000, 100, 60_000),
    siemPollMs: integer(env, 'KINKO_SIEM_POLL_MS', 1_000, 10, 60_000),
    integritySecondsInterval: integer(env, 'KINKO_INTEGRITY_SECONDS_INTERVAL', 300, 1, 86_400),
    pagewatch: pagewatchConfig(env, kinkoEnv),
  };
}
