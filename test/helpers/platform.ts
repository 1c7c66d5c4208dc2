import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSimulator, type CardNetwork, type Simulator } from '../../src/acquirer/index.ts';
import { loadConfig, type Config, type Limits } from '../../src/config.ts';
import type { App } from '../../src/http/index.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import {
  startPlatform,
  type Database,
  type Jobs,
  type Modules,
  type Platform,
} from '../../src/main.ts';
import { createTestDb, type TestDb } from './db.ts';
import { capturedLogger } from './log.ts';

// The platform every test runs: main.ts's startPlatform, the same composition `kinko serve`
// runs, on a fresh test database served as the least-privilege role (the owner's pool stays
// available for tests that play an attacker with DDL), with key files in a temporary
// directory. A test replaces the clock, the card network and limits, nothing else; requests
// go through `app.inject()` and the background jobs run only when the test says
// (`jobs.drainOutbox()`), so every run takes the same steps.

export const TEST_START_MS = Date.UTC(2026, 3, 1, 9, 0, 0);

export interface TestPlatformOptions {
  /** Settings as an operator sets them (KINKO_…); KINKO_ENV is `test` unless given. */
  env?: Record<string, string>;
  /** Limits to replace, on top of those the settings give. */
  limits?: Partial<Limits>;
  clock?: ManualClock;
  /** The card network; a fresh simulator (`simulator`) when absent. */
  network?: CardNetwork;
  /** Kinko's origin as browsers reach it (KINKO_PUBLIC_ORIGIN). */
  publicOrigin?: string;
  /** The level of the captured log; `warn` by default. */
  logLevel?: string;
  /** Listen on config's host and port (browser tests); otherwise only `app.inject()`. */
  listen?: boolean;
  /**
   * Another test platform whose database, key files and clock this one shares: a second
   * process behind the same load balancer. Closing this one leaves them to the first.
   */
  beside?: TestPlatform;
}

export interface TestPlatform {
  platform: Platform;
  app: App;
  db: TestDb;
  config: Config;
  limits: Limits;
  modules: Modules;
  jobs: Jobs;
  clock: ManualClock;
  /** The default card network; not called when options.network was given. */
  simulator: Simulator;
  logs: ReturnType<typeof capturedLogger>;
  /** Where the key files live (vault keys, audit signing key, and those beside them). */
  keysDir: string;
  close(): Promise<void>;
}

/** The served database of a test, as main.ts takes an already open one. */
export function databaseOf(db: TestDb): Database {
  return {
    sql: db.sql,
    description: `test database ${db.name}`,
    owner: { url: db.ownerUrl, servingRole: db.servingRole },
    close: async () => undefined,
  };
}

function configOf(dir: string, options: TestPlatformOptions): Config {
  const config = loadConfig({
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: path.join(dir, 'data'),
    KINKO_KEK_FILE: path.join(dir, 'keys', 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'keys', 'audit-signing.key'),
    KINKO_PUBLIC_ORIGIN: options.publicOrigin ?? 'http://localhost:8080',
    KINKO_BACKGROUND: 'off',
    ...options.env,
  });
  if (!options.limits) return config;
  return Object.freeze({ ...config, limits: Object.freeze({ ...config.limits, ...options.limits }) });
}

export async function testPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const beside = options.beside;
  const dir = beside
    ? path.dirname(beside.keysDir)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-test-platform-'));
  const db = beside?.db ?? (await createTestDb());
  const clock: ManualClock = options.clock ?? beside?.clock ?? manualClock(TEST_START_MS);
  const config = beside && !options.env && !options.limits ? beside.config : configOf(dir, options);
  const logs = capturedLogger(options.logLevel ?? 'warn');
  const simulator = createSimulator();
  const own = async () => {
    if (beside) return;
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let platform: Platform;
  try {
    platform = await startPlatform(config, logs.log, {
      db: databaseOf(db),
      clock,
      network: options.network ?? simulator,
      listen: options.listen ?? false,
    });
  } catch (error) {
    await own();
    throw error;
  }
  return {
    platform,
    app: platform.app,
    db,
    config,
    limits: config.limits,
    modules: platform.modules,
    jobs: platform.jobs,
    clock,
    simulator,
    logs,
    keysDir: path.join(dir, 'keys'),
    close: async () => {
      await platform.stop();
      await own();
    },
  };
}
