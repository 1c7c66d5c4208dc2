import path from 'node:path';

// One validated, frozen configuration. Every limit carries its unit in its name, most
// significant word first (ledgerTransferBatchSizeMax, httpBodyBytesMax). Settings come from
// the environment; an invalid one stops start-up with a message naming the setting.

export type KinkoEnv = 'development' | 'production' | 'test';

export interface Config {
  readonly env: KinkoEnv;
  readonly host: string;
  readonly port: number;
  /** postgres://… of an external server; when absent Kinko starts an embedded one. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly logLevel: string;
  readonly auditSigningKeyFile: string;
  readonly limits: Limits;
}

export interface Limits {
  /** Largest accepted request body; larger bodies get 413 before parsing. */
  readonly httpBodyBytesMax: number;
  /** Time allowed for a whole request before the server gives up on it. */
  readonly httpRequestTimeoutMs: number;
  /** Transfers in one ledger batch (one database transaction). */
  readonly ledgerTransferBatchSizeMax: number;
  /** Longest timeout a pending (two-phase) transfer may ask for: 30 days, as card holds. */
  readonly ledgerPendingTimeoutSecondsMax: number;
  /** A signed audit checkpoint is written at least this often while entries arrive. */
  readonly auditCheckpointSecondsInterval: number;
  readonly dbPoolConnectionsMax: number;
  readonly outboxClaimBatchSizeMax: number;
  readonly outboxLeaseSecondsMax: number;
  readonly outboxAttemptsMax: number;
  readonly shutdownGraceSecondsMax: number;
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
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
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

function databaseUrl(env: Env): string | undefined {
  const raw = env['DATABASE_URL'];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres://, got ${url.protocol}//`);
  }
  return raw;
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
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
    dataDir,
    embeddedPgPort: integer(env, 'KINKO_PG_PORT', 54329, 1024, 65535),
    logLevel,
    auditSigningKeyFile: path.resolve(
      cwd,
      env['KINKO_AUDIT_SIGNING_KEY_FILE'] ||
        path.join(dataDir, 'keys', 'audit-signing-ed25519.pem'),
    ),
    limits: {
      httpBodyBytesMax: integer(
        env,
        'KINKO_HTTP_BODY_BYTES_MAX',
        64 * 1024,
        1024,
        16 * 1024 * 1024,
      ),
      httpRequestTimeoutMs: integer(env, 'KINKO_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      ledgerTransferBatchSizeMax: integer(
        env,
        'KINKO_LEDGER_TRANSFER_BATCH_SIZE_MAX',
        8190,
        1,
        65_535,
      ),
      ledgerPendingTimeoutSecondsMax: 30 * 24 * 3600,
      auditCheckpointSecondsInterval: integer(
        env,
        'KINKO_AUDIT_CHECKPOINT_SECONDS_INTERVAL',
        60,
        1,
        86_400,
      ),
      dbPoolConnectionsMax: integer(env, 'KINKO_DB_POOL_CONNECTIONS_MAX', 10, 1, 200),
      outboxClaimBatchSizeMax: 100,
      outboxLeaseSecondsMax: 60,
      outboxAttemptsMax: integer(env, 'KINKO_OUTBOX_ATTEMPTS_MAX', 12, 1, 100),
      shutdownGraceSecondsMax: 10,
    },
  };
  return deepFreeze(config);
}
