import {
  createAcquirer,
  createSimulator,
  type Acquirer,
  type CardNetwork,
} from '../acquirer/index.ts';
import type { Audit } from '../audit/index.ts';
import type { Config } from '../config.ts';
import type { Sql } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { createVault, type Vault } from './service.ts';
import { envKeyProvider, fileKeyProvider, type KeyProvider } from './keys.ts';
import type { MerchantDirectory } from './merchants.ts';

// One call that assembles the card path for main.ts: key provider (KINKO_VAULT_KEYS when
// set, else the key file), card network (the simulator outside production, or the connector
// given), acquirer and vault. The CLI helpers print `kinko vault scan` and `kinko keys rotate`.

export interface CardPathDeps {
  config: Config;
  log: Logger;
  sql: Sql;
  clock: Clock;
  audit: Pick<Audit, 'append'>;
  /** The merchants module's directory; the vault's stand-in registry when absent. */
  merchants?: MerchantDirectory | undefined;
  /** A real acquirer's connector; required in production, where the simulator is refused. */
  network?: CardNetwork | undefined;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CardPath {
  keyProvider: KeyProvider;
  network: CardNetwork;
  acquirer: Acquirer;
  vault: Vault;
}

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
  const network = deps.network ?? createSimulator();
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

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `kinko vault scan`: prints findings; exit code 1 when any card number was found. */
export async function vaultScanCommand(vault: Vault, io: CliIo): Promise<number> {
  const r = await vault.scan();
  if (r.ok) {
    io.out(`vault scan ok: ${r.columnsScanned} columns, no card numbers outside the vault`);
    return 0;
  }
  io.err(`vault scan FOUND ${r.findingCount} card number(s) outside the vault:`);
  for (const f of r.findings) io.err(`  ${f.table}.${f.column} row ${f.row}: ${f.masked}`);
  io.err(`incident ${r.incidentId} opened`);
  return r.exitCode;
}

/** `kinko keys rotate`: new KEK version, every data key re-wrapped, unused versions retired. */
export async function keysRotateCommand(vault: Vault, io: CliIo): Promise<number> {
  const r = await vault.rotateKeys();
  io.out(`vault KEK version ${r.newVersion} is current; ${r.rewrapped} data key(s) re-wrapped`);
  if (r.retired.length > 0) io.out(`retired KEK version(s) ${r.retired.join(', ')}`);
  if (r.remaining.length > 0) {
    const left = r.remaining.map((x) => `v${x.version}: ${x.cards}`).join(', ');
    io.err(`data keys still on older versions (${left}); run kinko keys rotate again`);
    return 1;
  }
  return 0;
}
