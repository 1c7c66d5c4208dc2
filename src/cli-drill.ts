import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from './config.ts';
import { manualClock, type ManualClock } from './lib/clock.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { startPlatform, type Platform } from './main.ts';
import { httpClient } from './drill-http.ts';
import {
  attackerNetworks,
  compensate,
  contain,
  findIncident,
  keepAlive,
  notify,
  reports,
  scope,
  signInOperator,
  type Detection,
  type Operator,
} from './drill-response.ts';
import {
  rng,
  seedCustomer,
  stuffingFailure,
  takeOver,
  type Customer,
  type Takeover,
  type World,
} from './drill-wave.ts';

// `kinko incident drill`: the whole incident response rehearsed on a scratch database of its
// own (an embedded PostgreSQL in a temporary directory, removed afterwards; never a
// configured database). It seeds customers through the API, replays a 7pay-style takeover
// wave against them through the HTTP API, and lets Kinko respond: a detector opens the
// incident, the security team (scripted, drill-response.ts) suspends top-ups and new devices,
// scopes, notifies, compensates and pulls the reports. Each step is printed with its wall
// time and simulated time; the drill fails (exit 1) when any step fails or a target is missed.

export const DRILL_USAGE =
  'kinko incident drill [--customers N] [--victims N] [--networks N] [--seed N] [--json]';

/** Targets (issue: the drill): the whole drill, and detection to containment in sim time. */
const DRILL_SECONDS_MAX = 300;
const CONTAINMENT_SECONDS_MAX = 60;
/** Of the victims, this share is taken over before the wave gets loud (7pay's first cases). */
const FIRST_CASES_SHARE = 0.4;

interface DrillOptions {
  customers: number;
  victims: number;
  /** Attacker source networks (/24). */
  networks: number;
  seed: number;
  /** Failed sign-ins from each network in the loud part of the wave. */
  failuresPerNetwork?: number;
  /** Settings for the scratch platform on top of the drill's own (tests: KINKO_ENV=test). */
  env?: Record<string, string>;
}

interface DrillStep {
  name: string;
  ok: boolean;
  wallSeconds: number;
  simulatedAt: string;
  detail: string;
}

interface DrillResult {
  ok: boolean;
  steps: DrillStep[];
  wallSeconds: number;
  detectionToContainmentSeconds: number | null;
  totals: {
    accounts: number;
    yenLost: string;
    yenCompensated: string;
    noticesSent: number;
    takeoversStopped: number;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() =>
        typeof a === 'object' && a ? resolve(a.port) : reject(new Error('port')),
      );
    });
  });
}

/** A platform of its own: embedded PostgreSQL under a temporary directory, on 127.0.0.1. */
async function scratchPlatform(o: DrillOptions, log: Logger, clock: ManualClock) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-drill-'));
  // The embedded server runs as the postgres user when we are root: it must traverse root.
  fs.chmodSync(root, 0o711);
  const config = loadConfig({
    KINKO_ENV: 'development',
    KINKO_DATA_DIR: path.join(root, 'data'),
    KINKO_KEK_FILE: path.join(root, 'keys', 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(root, 'keys', 'audit-signing.key'),
    KINKO_PUBLIC_ORIGIN: 'http://localhost:8080',
    // Every request comes from 127.0.0.1; the drill names its sources in X-Forwarded-For.
    KINKO_TRUSTED_PROXIES: '127.0.0.1',
    KINKO_BACKGROUND: 'off',
    KINKO_PG_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    PORT: '0',
    ...o.env,
  });
  try {
    const platform = await startPlatform(config, log, { clock, listen: true });
    const close = async () => {
      await platform.stop();
      fs.rmSync(root, { recursive: true, force: true });
    };
    return { platform, config, close };
  } catch (error) {
    fs.rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

async function world(platform: Platform, config: Config, clock: ManualClock): Promise<World> {
  const m = platform.modules;
  const origin = config.publicOrigin;
  const wallet = await m.merchants.createMerchant(
    { name: 'Kinko Wallet (drill)', mode: 'live', allowedOrigins: [origin] },
    { type: 'cli' },
  );
  const store = {
    ...{ name: 'Kabukicho Tobacco (drill)', mcc: '5993', city: 'Shinjuku' },
    ...{ postalCode: '160-0021', terminalName: 'Register 1' },
  };
  const shop = await m.merchants.createMerchant(
    { name: 'Kabukicho Tobacco (drill)', mode: 'live', allowedOrigins: [origin], store },
    { type: 'cli' },
  );
  return {
    http: httpClient(platform.url),
    clock,
    modules: m,
    deliver: () => platform.jobs.deliverNotices(),
    origin,
    wallet: { merchantId: wallet.merchantId },
    shop: {
      storeId: shop.store!.id,
      terminalAuth: `Terminal ${shop.terminal!.id}:${shop.terminalSecret!}`,
    },
  };
}

/** Prints and records each step; the first failure ends the drill. */
class Steps {
  readonly steps: DrillStep[] = [];
  private readonly started = performance.now();
  constructor(
    private readonly clock: ManualClock,
    private readonly out: (line: string) => void,
  ) {}
  wall(): number {
    return Math.round((performance.now() - this.started) / 100) / 10;
  }
  async run<T>(name: string, fn: () => Promise<T>, detail: (t: T) => string): Promise<T> {
    try {
      const t = await fn();
      this.record({ name, ok: true, detail: detail(t) });
      return t;
    } catch (error) {
      this.record({
        name,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }
  record(s: { name: string; ok: boolean; detail: string }): void {
    const step = { ...s, wallSeconds: this.wall(), simulatedAt: this.clock.now().toISOString() };
    this.steps.push(step);
    const mark = s.ok ? 'ok  ' : 'FAIL';
    const at = step.simulatedAt.slice(11, 19);
    this.out(
      `${mark} ${step.wallSeconds.toFixed(1).padStart(6)} s  sim ${at}  ${s.name}: ${s.detail}`,
    );
  }
}

export async function runDrill(
  o: DrillOptions,
  log: Logger,
  out: (line: string) => void,
): Promise<DrillResult> {
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
  const steps = new Steps(clock, out);
  const result: DrillResult = {
    ok: false,
    steps: steps.steps,
    wallSeconds: 0,
    detectionToContainmentSeconds: null,
    totals: { accounts: 0, yenLost: '0', yenCompensated: '0', noticesSent: 0, takeoversStopped: 0 },
  };
  const scratch = await steps.run(
    'scratch database',
    () => scratchPlatform(o, log, clock),
    (s) => `embedded PostgreSQL in a temporary directory; API on ${s.platform.url}`,
  );
  try {
    const w = await world(scratch.platform, scratch.config, clock);
    await drill(o, w, steps, result, () => scratch.platform.jobs.checkRiskSpike());
    result.ok = steps.steps.every((s) => s.ok);
  } catch (error) {
    // A failure inside a step is printed by the step; anything else is printed here.
    if (steps.steps.every((s) => s.ok)) {
      const detail = error instanceof Error ? error.message : String(error);
      steps.record({ name: 'drill', ok: false, detail });
    }
    result.ok = false;
  } finally {
    await scratch.close();
    result.wallSeconds = steps.wall();
  }
  return result;
}

async function drill(
  o: DrillOptions,
  w: World,
  steps: Steps,
  result: DrillResult,
  checkRiskSpike: () => Promise<unknown>,
): Promise<void> {
  const customers = await steps.run(
    'population',
    () => seedPopulation(w, o.customers),
    (c) => `${c.length} customers signed up, authenticator enrolled, card linked (HTTP)`,
  );
  // The accounts are two months old when the wave comes: standard limits, habits settled.
  w.clock.advanceMs(60 * 86_400_000);
  const ops = await steps.run(
    'operators',
    async () => [await signInOperator(w, 1), await signInOperator(w, 2)] as [Operator, Operator],
    () => 'two security admins signed in (password and TOTP)',
  );
  const waveFrom = w.clock.now();
  const wave = await steps.run(
    'takeover wave',
    () => runWave(o, w, customers.slice(0, o.victims), ops, checkRiskSpike),
    (v) =>
      `${v.takeovers.length} accounts attacked from ${o.networks} networks, ` +
      `${v.failures} failed sign-ins; ¥${v.spent} taken; stopped: ${stoppedAt(v.takeovers)}`,
  );
  result.totals.takeoversStopped = wave.takeovers.filter((t) => t.stoppedAt).length;
  const d = wave.detection;
  if (!d || !wave.containedAt) {
    steps.record({ name: 'detection', ok: false, detail: 'no detector opened an incident' });
    return;
  }
  const toContain = (wave.containedAt.getTime() - d.openedAt.getTime()) / 1000;
  result.detectionToContainmentSeconds = toContain;
  steps.record({
    name: 'detection → containment',
    ok: toContain <= CONTAINMENT_SECONDS_MAX,
    detail:
      `${d.detector} opened "${d.title}" at ${d.openedAt.toISOString().slice(11, 19)}; ` +
      `top-ups and new devices suspended ${toContain} s later ` +
      `(target ≤ ${CONTAINMENT_SECONDS_MAX} s)`,
  });
  await respond(w, steps, result, ops, { incidentId: d.incidentId, from: waveFrom });
}

/** Where Kinko stopped the takeovers, with the code it answered: `top-up service_suspended ×3`. */
function stoppedAt(takeovers: readonly Takeover[]): string {
  const counts = new Map<string, number>();
  for (const t of takeovers) {
    if (!t.stoppedAt) continue;
    const key = `${t.stoppedAt} ${t.code}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return 'none';
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}

async function seedPopulation(w: World, n: number): Promise<Customer[]> {
  const out: Customer[] = [];
  const parallel = 4;
  for (let i = 1; i <= n; i += parallel) {
    const group = Array.from({ length: Math.min(parallel, n - i + 1) }, (_, k) =>
      seedCustomer(w, i + k),
    );
    out.push(...(await Promise.all(group)));
  }
  return out;
}

interface Wave {
  takeovers: Takeover[];
  failures: number;
  spent: number;
  detection: Detection | null;
  containedAt: Date | null;
}

/**
 * The wave: first a few quiet takeovers (the attacker trying its list), then the loud part —
 * every network burning through its failed sign-ins at once, then the remaining takeovers.
 * After each attacker action the scripted team looks for an incident and contains it once.
 */
async function runWave(
  o: DrillOptions,
  w: World,
  victims: Customer[],
  ops: [Operator, Operator],
  checkRiskSpike: () => Promise<unknown>,
): Promise<Wave> {
  const draw = rng(o.seed);
  const nets = Array.from({ length: o.networks }, (_, i) => `198.51.${100 + i}`);
  const wave: Wave = { takeovers: [], failures: 0, spent: 0, detection: null, containedAt: null };
  const watch = async () => {
    if (wave.detection) return keepAlive(w, ops);
    wave.detection = await findIncident(w, ops, checkRiskSpike);
    if (wave.detection) wave.containedAt = await contain(w, ops[0], wave.detection.incidentId);
  };
  const quiet = Math.floor(victims.length * FIRST_CASES_SHARE);
  for (const [i, victim] of victims.entries()) {
    if (i === quiet) await stuffingBurst(o, w, { nets, draw, wave, watch });
    // Once its networks are blocked the attacker moves every other takeover to a network not
    // seen before (7pay's came from many): the switches are what stops those.
    const moved = i > quiet && i % 2 === 0;
    const net = moved ? `198.51.${100 + o.networks + (i % 50)}` : nets[i % nets.length];
    const ip = `${net}.${draw(2, 250)}`;
    // 7pay's losses: 72% between ¥10,000 and ¥45,000, the rest up to the top-up limit.
    const amount = draw(1, 100) <= 72 ? draw(10, 45) * 1000 : draw(50, 100) * 1000;
    const t = await takeOver(w, victim, { ip, amount });
    wave.takeovers.push(t);
    wave.spent += t.spentYen;
    w.clock.advanceMs(draw(10, 60) * 1000);
    // The team's console is open throughout: it looks after every attacker action.
    await watch();
  }
  await watch();
  return wave;
}

/** The stuffing list from every network at once, half a second an attempt, round robin. */
async function stuffingBurst(
  o: DrillOptions,
  w: World,
  b: {
    nets: string[];
    draw: (min: number, max: number) => number;
    wave: Wave;
    watch: () => Promise<void>;
  },
): Promise<void> {
  const rounds = o.failuresPerNetwork ?? 60;
  for (let k = 0; k < rounds; k++) {
    for (const net of b.nets) {
      await stuffingFailure(w, `${net}.${b.draw(2, 250)}`, b.wave.failures);
      b.wave.failures += 1;
      w.clock.advanceMs(500);
    }
    if (k % 5 === 4) await b.watch();
  }
}

async function respond(
  w: World,
  steps: Steps,
  result: DrillResult,
  ops: [Operator, Operator],
  r: { incidentId: string; from: Date },
): Promise<void> {
  let networks: string[] = [];
  const scoped = await steps.run(
    'scope',
    async () => {
      networks = await attackerNetworks(w, ops[0]);
      return scope(w, ops[0], { ...r, to: w.clock.now(), networks });
    },
    (s) =>
      `${s.customers} customers from ${networks.join(', ')}: top-ups ¥${s.topupYen}, ` +
      `payments ¥${s.paymentYen}`,
  );
  result.totals.accounts = scoped.customers;
  const sent = await steps.run(
    'notices',
    () => notify(w, ops[0], r.incidentId),
    (n) => `${n.email} emails and ${n.sms} SMS to the customers in scope (Japanese and English)`,
  );
  result.totals.noticesSent = sent.email + sent.sms;
  const paid = await steps.run(
    'compensation',
    () => compensate(w, ops, r.incidentId),
    (c) =>
      `proposed by one operator, approved by the other: ${c.customers} customers, ` +
      `¥${c.compensatedYen} credited of ¥${c.lostYen} lost`,
  );
  result.totals.yenLost = paid.lostYen;
  result.totals.yenCompensated = paid.compensatedYen;
  await steps.run(
    'reports',
    () => reports(w, ops[0], r.incidentId),
    (k) => `${k.join(', ')} filled from the incident (JSON; HTML printable)`,
  );
}

function parseArgs(args: string[]): DrillOptions | string {
  const o: DrillOptions = { customers: 120, victims: 40, networks: 4, seed: 7 };
  const keys = {
    '--customers': 'customers',
    '--victims': 'victims',
    '--networks': 'networks',
    '--seed': 'seed',
  } as const;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') continue;
    const key = keys[a as keyof typeof keys];
    const v = Number(args[++i]);
    if (!key || !Number.isInteger(v) || v < 1 || v > 10_000) return `bad option ${a}`;
    o[key] = v;
  }
  if (o.victims > o.customers) return '--victims must be at most --customers';
  return o;
}

interface Context {
  config: Config;
  log: Logger;
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function drillCommand(args: string[], ctx: Context): Promise<number> {
  // A drill writes thousands of rows of made-up people: never into a configured database.
  if (ctx.config.env === 'production' || ctx.config.databaseUrl) {
    ctx.err(
      'kinko incident drill: refused — it runs only on a scratch database of its own; ' +
        'unset DATABASE_URL and do not run it with KINKO_ENV=production',
    );
    return 2;
  }
  const o = parseArgs(args);
  if (typeof o === 'string') {
    ctx.err(`kinko incident drill: ${o}\nusage: ${DRILL_USAGE}`);
    return 2;
  }
  const json = args.includes('--json');
  // The scratch platform's own warnings (the stuffing it detects) are the drill's subject,
  // printed as steps; its log shows errors only.
  const log = createLogger({ level: 'error' });
  const r = await runDrill(o, log, json ? () => undefined : ctx.out);
  const inTime = r.wallSeconds <= DRILL_SECONDS_MAX;
  if (json) ctx.out(JSON.stringify({ ...r, inTime }));
  else {
    const t = r.totals;
    ctx.out(
      `totals: ${t.accounts} accounts in scope, ¥${t.yenLost} lost, ¥${t.yenCompensated} ` +
        `compensated, ${t.noticesSent} notices sent, ${t.takeoversStopped} takeovers stopped; ` +
        `drill ${r.wallSeconds} s (target ≤ ${DRILL_SECONDS_MAX} s), detection → containment ` +
        `${r.detectionToContainmentSeconds ?? '—'} s simulated ` +
        `(target ≤ ${CONTAINMENT_SECONDS_MAX} s)`,
    );
    ctx.out(r.ok && inTime ? 'drill passed' : 'drill FAILED');
  }
  return r.ok && inTime ? 0 : 1;
}
