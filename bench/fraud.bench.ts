import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { connect, EMBEDDED_SERVING_ROLE, migrate, startEmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { runScenario, type Figures } from './fraud-run.ts';
import { loadScenario } from './fraud-scenario.ts';
import { SIM_HOME_RANGES } from './fraud-sim.ts';
import { printReport } from './report.ts';

// `npm run bench:fraud -- --scenario bench/scenarios/7pay-2019.json --seed 6 [--customers N]
// [--rules proposal.json]`:
// replays a fraud scenario through the risk engine on a fresh embedded PostgreSQL (migrated,
// served as the least-privilege role, as bench/platform.ts does) and prints what it stopped
// and what it cost good customers, then the run again with the engine off (the loss with no
// rules, only the top-up limits in code), then one JSON line. docs/fraud-bench.md explains
// the figures and the targets.

const TARGETS = { stopped_7pay: 99, stopped_other: 95, challenged_max: 0.5, blocked_max: 0.05 };

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'bench/scenarios/7pay-2019.json' },
    seed: { type: 'string', default: '6' },
    customers: { type: 'string' },
    rules: { type: 'string' },
    lanes: { type: 'string', default: '16' },
  },
});
const scenario = loadScenario(values.scenario);
const seed = Number(values.seed);
const customers = values.customers === undefined ? undefined : Number(values.customers);
const log = createLogger({ level: 'warn' });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-fraud-'));
fs.chmodSync(root, 0o711);
const pg = await startEmbeddedPostgres({ dataDir: root, port: await freePort(), log });
const owner = connect(pg.ownerUrl, { connectionsMax: 1, statementTimeoutMs: 0 });
const lanes = Number(values.lanes);
// A run lasts 20–60 minutes, and the pool reconnects idle connections meanwhile: on a busy
// machine a connection's start-up (SCRAM) can take longer than the serving pool's 5 s, which
// ended two 100,000-customer runs with CONNECT_TIMEOUT. A replay may wait.
const sql = connect(pg.url, { connectionsMax: lanes, connectTimeoutSeconds: 60 });
try {
  await migrate(owner, { servingRole: EMBEDDED_SERVING_ROLE });
  if (values.rules) await proposeRules(values.rules);
  await loadHomeNetworks();
  const limits = loadConfig({}).limits.risk;
  const opts = { sql, limits, lanes, ...(customers === undefined ? {} : { customers }) };
  const on = await runScenario(scenario, seed, opts);
  const off = await runScenario(scenario, seed, { ...opts, engineOff: true });
  process.stdout.write(summary(on, off));
  const stoppedTarget = on.scenario === '7pay-2019' ? TARGETS.stopped_7pay : TARGETS.stopped_other;
  const ok =
    on.fraud_yen_stopped_pct >= stoppedTarget &&
    on.good_payments_challenged_pct <= TARGETS.challenged_max &&
    on.good_payments_blocked_pct <= TARGETS.blocked_max;
  printReport({
    bench: 'fraud',
    figures: { ...on, yen_lost_engine_off: off.fraud_yen_spent },
    reference: { engine_off_yen_lost: off.fraud_yen_spent, planned: off.fraud_yen_planned },
    targets: {
      fraud_yen_stopped_pct: `>= ${stoppedTarget}`,
      good_payments_challenged_pct: `<= ${TARGETS.challenged_max}`,
      good_payments_blocked_pct: `<= ${TARGETS.blocked_max}`,
    },
    ok,
  });
} finally {
  await sql.end({ timeout: 5 });
  await owner.end({ timeout: 5 });
  await pg.stop();
  fs.rmSync(root, { recursive: true, force: true });
}

/**
 * A proposed rule set (a JSON file shaped like default-rules.ts's) as the live version 1, so
 * a proposal is measured on the same path; the engine validates it when it loads it.
 */
async function proposeRules(file: string): Promise<void> {
  const rules = JSON.parse(fs.readFileSync(file, 'utf8')) as object;
  const at = new Date();
  await owner`
    insert into risk_rule_sets (version, status, rules, note, created_by, created_at, live_at)
    values (1, 'live', ${owner.json(rules as never)}, 'bench:fraud proposal', 'bench', ${at},
      ${at})`;
}

/** The simulation's home networks as the address table, so `source_home` means something. */
async function loadHomeNetworks(): Promise<void> {
  for (const r of SIM_HOME_RANGES) {
    await owner`
      insert into risk_home_networks (first_address, last_address, country, registry, loaded_at)
      values (${r.first}::inet, ${r.last}::inet, 'JP', 'bench', now())`;
  }
}

function summary(on: Figures, off: Figures): string {
  const yen = (n: number) => `¥${n.toLocaleString('en-US')}`;
  return [
    `scenario ${on.scenario}, seed ${on.seed}: ${on.customers} good customers, ` +
      `${on.victims} taken-over accounts, ${on.decisions} decisions`,
    `  fraudulent yen stopped          ${on.fraud_yen_stopped_pct} % ` +
      `(${yen(on.fraud_yen_spent)} of ${yen(on.fraud_yen_planned)} lost)`,
    `  fraud accounts stopped before their first payment ` +
      `${on.fraud_accounts_stopped_before_first_payment_pct} %`,
    `  good payments challenged (step-up by the engine) ${on.good_payments_challenged_pct} % ` +
      `of ${on.good_payments}`,
    `  good payments blocked           ${on.good_payments_blocked_pct} %`,
    `  good customers held for review  ${on.good_customers_held_pct} % ` +
      `(${on.good_topups_held} of ${on.good_topups} top-ups)`,
    `  decisions/s ${on.decisions_per_s}, decision p50 ${on.decision_p50_ms} ms, ` +
      `p99 ${on.decision_p99_ms} ms`,
    `  yen lost with the engine off    ${yen(off.fraud_yen_spent)}`,
    `  rules fired on fraud: ${JSON.stringify(on.rules_fired_on_fraud)}`,
    `  rules fired on good:  ${JSON.stringify(on.rules_fired_on_good)}`,
    '',
  ].join('\n');
}
