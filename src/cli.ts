import { ConfigError, loadConfig, type Config } from './config.ts';
import type { MigrationResult } from './db/index.ts';
import { createLogger, type Logger } from './lib/log.ts';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import {
  loadOrCreateAuditSigningKey,
  type AnchorStatus,
  type ExportedCheckpoint,
} from './audit/index.ts';
import { QR_MAKE_USAGE, QR_PARSE_USAGE, qrMakeCommand, qrParseCommand } from './codes/index.ts';
import { OPERATORS_CREATE_USAGE } from './identity/index.ts';
import { MERCHANTS_CREATE_USAGE } from './merchants/index.ts';
import { systemClock } from './lib/clock.ts';
import { BACKUP_USAGE, backupCommand, RESTORE_USAGE, restoreCommand } from './cli-backup.ts';
import { DRILL_USAGE, drillCommand } from './cli-drill.ts';
import { switchesCommand, SWITCHES_USAGE } from './switches/index.ts';
import type { Pagewatch } from './pagewatch/index.ts';
import {
  riskBinTableCommand,
  riskIpTableCommand,
  RISK_BIN_TABLE_USAGE,
  RISK_IP_TABLE_USAGE,
} from './risk/index.ts';
import { keysRotateCommand, vaultScanCommand } from './vault/index.ts';
import {
  createModules,
  openDatabase,
  startPlatform,
  startWorkers,
  upgradeDatabase,
  VERSION,
  type Database,
  type Modules,
} from './main.ts';

// `kinko <command>`: the operator's and developer's command line. Each command returns its
// exit code: 0 success, 1 a failed check or error, 2 bad usage.

interface Command {
  usage: string;
  summary: string;
  run(args: string[], ctx: Context): Promise<number>;
}

interface Context {
  config: Config;
  log: Logger;
  out: (line: string) => void;
  err: (line: string) => void;
}

async function withDb<T>(
  ctx: Context,
  fn: (db: Database, upgraded: MigrationResult) => Promise<T>,
): Promise<T> {
  // Operator commands (checks over every row, key rotation) may run longer than a request.
  const db = await openDatabase(ctx.config, ctx.log, { shareRunning: true, statementTimeoutMs: 0 });
  try {
    return await fn(db, await upgradeDatabase(ctx.config, ctx.log, db));
  } finally {
    await db.close();
  }
}

async function withModules<T>(ctx: Context, fn: (m: Modules, db: Database) => Promise<T>) {
  return withDb(ctx, async (db) => {
    const modules = createModules(ctx.config, ctx.log, db.sql, systemClock);
    try {
      return await fn(modules, db);
    } finally {
      // The chainer runs a few milliseconds after an append: the pool closes after it.
      await modules.audit.idle();
    }
  });
}

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'kinko serve',
    summary:
      'run the platform (HTTP API and web apps); embedded PostgreSQL unless DATABASE_URL is set',
    run: serve,
  },
  work: {
    usage: 'kinko work',
    summary:
      'run only the background jobs (outbox workers, expiry, checkpoints), beside servers ' +
      'started with KINKO_BACKGROUND=off',
    run: work,
  },
  migrate: {
    usage: 'kinko migrate',
    summary: 'apply pending database migrations',
    run: (_args, ctx) =>
      withDb(ctx, async (db, result) => {
        ctx.out(
          result.applied.length ? `applied ${result.applied.join(', ')}` : 'no migrations pending',
        );
        ctx.out(`schema at version ${result.current} (${db.description})`);
        return 0;
      }),
  },
  'ledger check': {
    usage: 'kinko ledger check',
    summary: 'prove Σdebits = Σcredits per currency and every balance equals its transfers',
    run: (_args, ctx) =>
      withModules(ctx, async ({ ledger }) => {
        const result = await ledger.check();
        if (!result.ok) {
          ctx.err(`ledger check FAILED: ${result.discrepancy}`);
          return 1;
        }
        ctx.out(
          `ledger check ok: ${result.currencies} currencies, ${result.accounts} accounts, ` +
            `${result.transfers} transfers balance`,
        );
        return 0;
      }),
  },
  'audit verify': {
    usage: 'kinko audit verify [--exported FILE] [--anchor FILE]',
    summary:
      'recompute the audit chain and checkpoints, against the anchor file (and exported ones)',
    run: auditVerify,
  },
  'audit prove': {
    usage: 'kinko audit prove <transfer id> > proof.json',
    summary:
      'print an inclusion proof of one ledger transfer, checked offline with ' +
      'docs/verify-proof.mjs and the checkpoint public key alone',
    run: auditProve,
  },
  'audit public-key': {
    usage: 'kinko audit public-key > audit-checkpoint.pub.pem',
    summary:
      'print the checkpoint public key (PEM) that proofs and exported checkpoints are ' +
      'checked with, and its SHA-256 fingerprint',
    run: auditPublicKey,
  },
  'audit checkpoint': {
    usage: 'kinko audit checkpoint',
    summary: 'sign the current audit chain head now',
    run: (_args, ctx) =>
      withModules(ctx, async ({ audit }) => {
        const cp = await audit.checkpoint();
        ctx.out(cp ? `checkpoint at entry ${cp.seq}` : 'nothing new to sign');
        return 0;
      }),
  },
  'audit export': {
    usage: 'kinko audit export > checkpoints.json',
    summary: 'print every signed checkpoint as JSON, to keep off this host',
    run: (_args, ctx) =>
      withModules(ctx, async ({ audit }) => {
        const all: ExportedCheckpoint[] = [];
        for (;;) {
          const last = all[all.length - 1];
          const page = await audit.exportCheckpoints(last ? { afterSeq: BigInt(last.seq) } : {});
          if (page.length === 0) break;
          all.push(...page);
        }
        ctx.out(JSON.stringify(all, null, 2));
        return 0;
      }),
  },
  'integrity check': {
    usage: 'kinko integrity check',
    summary: 'hash the files Kinko serves and runs; compare with the approved manifest',
    run: (_args, ctx) =>
      withModules(ctx, async ({ integrity }) => {
        const r = await integrity.check();
        ctx.out(`${r.outcome}: manifest ${r.root}`);
        if (r.outcome !== 'changed') return 0;
        const d = r.difference;
        for (const [what, list] of [
          ['added', d.added],
          ['removed', d.removed],
          ['changed', d.changed],
        ] as const) {
          for (const p of list) ctx.out(`  ${what} ${p}`);
        }
        ctx.out(`approved is ${r.expected}; incident ${r.incidentId}`);
        return 1;
      }),
  },
  'integrity approve': {
    usage: 'kinko integrity approve <reason>',
    summary: 'approve the installed files as the expected state (a deliberate upgrade), audited',
    run: (args, ctx) => {
      const reason = args.join(' ').trim();
      if (reason.length === 0 || reason.length > 500) {
        ctx.err('kinko integrity approve: give a reason of 1..500 characters');
        return Promise.resolve(2);
      }
      return withModules(ctx, async ({ integrity }) => {
        const r = await integrity.approve({ type: 'cli' }, reason);
        const d = r.difference;
        const counts = d
          ? ` (${d.added.length} added, ${d.removed.length} removed, ` +
            `${d.changed.length} changed)`
          : '';
        ctx.out(`approved manifest ${r.root}${counts}`);
        return 0;
      });
    },
  },
  'pages list': {
    usage: 'kinko pages list',
    summary: 'every payment page the monitor watches, with its state (PCI DSS 11.6.1)',
    run: (_args, ctx) => withModules(ctx, ({ pagewatch }) => pagesList(pagewatch, ctx)),
  },
  'pages check': {
    usage: 'kinko pages check',
    summary: 'load every watched payment page now; exit 1 on an alert or without a browser',
    run: (_args, ctx) =>
      withModules(ctx, async ({ pagewatch }) => {
        const r = await pagewatch.runPass({ allDue: true });
        if (r.status.monitoring === 'off') {
          ctx.err(`monitoring is OFF: no browser at ${r.status.browser} (KINKO_PAGEWATCH_BROWSER)`);
          return 1;
        }
        ctx.out(`${r.checked} loaded or tried: ${r.failed} failed, ${r.alerts} new alerts`);
        return r.alerts > 0 ? 1 : 0;
      }),
  },
  'pages approve': {
    usage: 'kinko pages approve <page id> <reason>',
    summary: "approve what one of Kinko's own payment pages serves now as its inventory, audited",
    run: (args, ctx) => {
      const [pageId, ...words] = args;
      const reason = words.join(' ').trim();
      if (!pageId || reason.length === 0 || reason.length > 500) {
        ctx.err('kinko pages approve: give a page id and a reason of 1..500 characters');
        return Promise.resolve(2);
      }
      return withModules(ctx, async ({ pagewatch }) => {
        const view = await pagewatch.view(null, pageId);
        if (view.latest?.outcome !== 'loaded') {
          ctx.err(`${pageId} has no loaded observation to approve; run kinko pages check`);
          return 1;
        }
        const r = { pageId, observationId: view.latest.id, reason };
        const after = await pagewatch.approve(null, r, { type: 'cli' });
        ctx.out(`approved ${after.page.url} (observation ${view.latest.id})`);
        return 0;
      });
    },
  },
  'vault scan': {
    usage: 'kinko vault scan',
    summary: 'search every table for card numbers outside the vault; opens an incident if found',
    run: (_args, ctx) => withModules(ctx, ({ card }) => vaultScanCommand(card.vault, ctx)),
  },
  'keys rotate': {
    usage: 'kinko keys rotate',
    summary: 'new vault key-encryption key; re-wrap every card data key without downtime',
    run: (_args, ctx) => withModules(ctx, ({ card }) => keysRotateCommand(card.vault, ctx)),
  },
  'merchants create': {
    usage: MERCHANTS_CREATE_USAGE,
    summary: 'create a merchant (with a store and a register); prints its keys once',
    run: (args, ctx) =>
      withModules(ctx, ({ merchants }) => merchants.createMerchantCommand(args, ctx.out, ctx.err)),
  },
  'operators create': {
    usage: OPERATORS_CREATE_USAGE,
    summary: 'create an operator (the first security admin); password from KINKO_OPERATOR_PASSWORD',
    run: (args, ctx) =>
      withModules(ctx, ({ identity }) =>
        identity.runOperatorsCreate(args, { out: ctx.out, err: ctx.err, env: process.env }),
      ),
  },
  switches: {
    usage: SWITCHES_USAGE,
    summary: 'kill switches: list those on, turn one on, ask for or approve a lift',
    run: (args, ctx) =>
      withModules(ctx, ({ switches }) =>
        switchesCommand(switches, args, { out: ctx.out, err: ctx.err }),
      ),
  },
  'risk ip-table': {
    usage: RISK_IP_TABLE_USAGE,
    summary: 'replace the home-country (JP) address table from an APNIC delegated stats file',
    run: (args, ctx) =>
      withModules(ctx, ({ risk }) =>
        riskIpTableCommand(risk, args, { out: ctx.out, err: ctx.err }),
      ),
  },
  'risk bin-table': {
    usage: RISK_BIN_TABLE_USAGE,
    summary: 'replace the card range (BIN) table: issuer country and funding, from a CSV file',
    run: (args, ctx) =>
      withModules(ctx, ({ risk }) =>
        riskBinTableCommand(risk, args, { out: ctx.out, err: ctx.err }),
      ),
  },
  'qr parse': {
    usage: QR_PARSE_USAGE,
    summary: 'validate a store QR payload (EMVCo MPM / JPQR) and print its fields as JSON',
    run: async (args, ctx) => qrParseCommand(args, ctx.out, ctx.err),
  },
  'incident drill': {
    usage: DRILL_USAGE,
    summary:
      'rehearse an incident on a scratch database: a takeover wave over HTTP, then detection, ' +
      'switches, scope, notices, compensation and reports, timed',
    run: drillCommand,
  },
  backup: {
    usage: BACKUP_USAGE,
    summary:
      'write a consistent backup (one snapshot, taken while running) to FILE; names the key ' +
      'files a restore needs, never contains them',
    run: backupCommand,
  },
  restore: {
    usage: RESTORE_USAGE,
    summary:
      'restore a backup into an empty database (a new KINKO_DATA_DIR or an empty DATABASE_URL)',
    run: restoreCommand,
  },
  'qr make': {
    usage: QR_MAKE_USAGE,
    summary: "build a store's static QR payload (EMVCo MPM with the fields JPQR requires)",
    run: async (args, ctx) => qrMakeCommand(args, ctx.out, ctx.err),
  },
};

async function auditVerify(args: string[], ctx: Context): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { exported: { type: 'string' }, anchor: { type: 'string' } },
  });
  if (values.anchor && !fs.existsSync(values.anchor)) {
    ctx.err(`audit verify: no anchor file at ${values.anchor}`);
    return 2;
  }
  let exported: ExportedCheckpoint[] | undefined;
  if (values.exported) {
    exported = JSON.parse(fs.readFileSync(values.exported, 'utf8')) as ExportedCheckpoint[];
  }
  return withModules(ctx, async ({ audit }) => {
    const result = await audit.verify({
      ...(exported ? { exportedCheckpoints: exported } : {}),
      ...(values.anchor ? { anchorFile: values.anchor } : {}),
    });
    if (!result.ok) {
      ctx.err(`audit verify FAILED at entry ${result.seq}: ${result.problem}`);
      return 1;
    }
    ctx.out(
      `audit verify ok: ${result.entries} entries, ${result.checkpoints} signed checkpoints` +
        (exported ? `, ${result.exportedCheckpoints} exported checkpoints match` : '') +
        `; ${result.uncoveredEntries} entries not yet covered by a checkpoint`,
    );
    ctx.out(anchorLine(result.anchor));
    return 0;
  });
}

const PROOF_REFUSALS: Record<string, string> = {
  transfer_not_found: 'no such transfer',
  created_before_batches:
    'the transfer was created before batches were audited by their Merkle root;' +
    ' its own audit entry records it',
  batch_does_not_verify: 'its batch does not match its audit entry: run kinko audit verify',
  entry_not_found: "its batch's audit entry is missing: run kinko audit verify",
  not_yet_checkpointed:
    'no signed checkpoint covers it yet: retry in a few seconds, or run kinko audit checkpoint',
  too_far_from_checkpoint: 'the checkpoint covering it is too many entries away',
};

async function auditPublicKey(_args: string[], ctx: Context): Promise<number> {
  const file = ctx.config.auditSigningKeyFile;
  if (!fs.existsSync(file)) {
    ctx.err(`audit public-key: no signing key at ${file} (the server creates it on first start)`);
    return 1;
  }
  const key = loadOrCreateAuditSigningKey(file);
  ctx.out(String(key.publicKey.export({ type: 'spki', format: 'pem' })).trimEnd());
  const fingerprint = createHash('sha256').update(key.publicKeyRaw).digest('hex');
  ctx.err(`key id ${key.keyId}, fingerprint sha256:${fingerprint}`);
  return 0;
}

async function auditProve(args: string[], ctx: Context): Promise<number> {
  const [id, ...rest] = args;
  if (!id || rest.length > 0) {
    ctx.err('usage: kinko audit prove <transfer id>');
    return 2;
  }
  return withModules(ctx, async ({ ledger }) => {
    const result = await ledger.proveTransfer(id);
    if (!result.ok) {
      ctx.err(`audit prove: ${PROOF_REFUSALS[result.reason] ?? result.reason} (${result.reason})`);
      return 1;
    }
    ctx.out(JSON.stringify(result.proof, null, 2));
    return 0;
  });
}

/** What verify learnt from this host's anchor file, for the operator. */
function anchorLine(a: AnchorStatus | null): string {
  if (!a) return 'anchor: none on this host yet (the checkpoint timer writes it)';
  if (a.seq === 0n) return `anchor ${a.file}: no checkpoint in it yet`;
  const behind =
    a.behindEntries > 0n
      ? `, ${a.behindEntries} entries behind the newest checkpoint (signed on another host,` +
        ' or not yet mirrored here): checked up to the anchor'
      : '';
  const unreadable = a.unreadableLines > 0 ? `, ${a.unreadableLines} unreadable lines` : '';
  const lines = `${a.lines} lines${unreadable}`;
  return `anchor ${a.file}: checkpoint at ${a.seq} matches (${lines})${behind}`;
}

async function serve(_args: string[], ctx: Context): Promise<number> {
  const platform = await startPlatform(ctx.config, ctx.log);
  const base = platform.url.replace('://127.0.0.1', '://localhost');
  ctx.out(`Kinko ${VERSION} (${ctx.config.env}) on ${platform.db.description}`);
  ctx.out(`  API       ${base}/v1`);
  ctx.out(`  health    ${base}/healthz (liveness), ${base}/readyz (readiness)`);
  ctx.out(`  OpenAPI   ${base}/openapi.json`);
  ctx.out(`  docs      ${base}/docs`);
  // Demo secrets go to the terminal, never into the structured log that a SIEM collects.
  for (const line of platform.banner) ctx.out(line);
  ctx.out('Press Ctrl-C to stop.');
  await untilSignal(ctx, 'stopping the HTTP server, then the database…', platform.stop);
  ctx.out('stopped.');
  return 0;
}

async function work(_args: string[], ctx: Context): Promise<number> {
  const workers = await startWorkers(ctx.config, ctx.log);
  ctx.out(`Kinko ${VERSION} background jobs on ${workers.db.description}`);
  ctx.out('Press Ctrl-C to stop.');
  await untilSignal(ctx, 'stopping the background jobs…', workers.stop);
  ctx.out('stopped.');
  return 0;
}

/** Waits for SIGINT, SIGTERM or SIGHUP, then stops; a second signal, or a stop too slow, exits. */
async function untilSignal(ctx: Context, what: string, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        ctx.err('second signal: exiting now');
        process.exit(130);
      }
      ctx.out(`\n${signal}: ${what}`);
      const timer = setTimeout(() => {
        ctx.err(
          `shutdown took longer than ${ctx.config.limits.shutdownGraceSecondsMax} s; exiting`,
        );
        process.exit(1);
      }, ctx.config.limits.shutdownGraceSecondsMax * 1000);
      timer.unref();
      stop().then(resolve, (e: unknown) => {
        ctx.err(`shutdown failed: ${String(e)}`);
        resolve();
      });
    };
    // SIGHUP too: closing the terminal that runs `npm start` must stop the database as well.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
}

function help(out: (line: string) => void): void {
  out(`kinko ${VERSION} — the Kinko payment platform\n`);
  out('Usage: kinko <command> [options]\n');
  out('Commands:');
  for (const c of Object.values(COMMANDS)) out(`  ${c.usage}\n      ${c.summary}`);
  out('\nSettings come from the environment (PORT, DATABASE_URL, KINKO_DATA_DIR, KINKO_ENV, …);');
  out('see README.md.');
}

export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

export async function main(argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const err = (line: string) => process.stderr.write(line + '\n');
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    help(out);
    return first ? 0 : 2;
  }
  if (first === '--version') {
    out(VERSION);
    return 0;
  }
  // Two-word commands ("ledger check") are looked up first, then one-word ones.
  const twoWord = rest[0] !== undefined ? `${first} ${rest[0]}` : undefined;
  const name = twoWord && COMMANDS[twoWord] ? twoWord : first;
  const command = COMMANDS[name];
  if (!command) {
    err(`kinko: unknown command "${argv.join(' ')}"; run kinko --help`);
    return 2;
  }
  const args = name === twoWord ? rest.slice(1) : rest;
  if (args.includes('--help')) {
    out(`usage: ${command.usage}\n  ${command.summary}`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`kinko: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const log = createLogger({
    level: name === 'serve' || name === 'work' ? config.logLevel : 'warn',
  });
  try {
    return await command.run(args, { config, log, out, err });
  } catch (e) {
    err(`kinko ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    log.flush();
  }
}

/** `kinko pages list`: one line per page, the monitor's status first. */
async function pagesList(pagewatch: Pagewatch, ctx: Context): Promise<number> {
  const status = pagewatch.status();
  ctx.out(
    status.monitoring === 'on'
      ? `monitoring on: every ${status.interval_seconds} s with ${status.browser}`
      : `monitoring OFF: no browser at ${status.browser} (KINKO_PAGEWATCH_BROWSER)`,
  );
  for (const page of await pagewatch.list(undefined)) {
    const v = await pagewatch.view(undefined, page.id);
    ctx.out(`${page.id}  ${page.merchant_id ?? 'kinko'}  ${v.state}  ${page.url}`);
  }
  return status.monitoring === 'on' ? 0 : 1;
}
