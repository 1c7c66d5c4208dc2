import type { ActorType, Audit, AuditEntryInput } from '../audit/index.ts';
import type { Db, Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { NOTIFY_TOPIC, type NotifyMessage } from '../notify/index.ts';
import { switchesError } from './errors.ts';
import * as store from './store.ts';
import {
  activeSwitch,
  canonicalScope,
  covers,
  suspendedMessage,
  type ActiveSwitch,
  type GuardedRequest,
  type Operation,
  type ScopeType,
} from './switch.ts';
import { startPeriodic } from '../lib/periodic.ts';

// What the switches module offers the rest of Kinko, and the board every process keeps: the
// switches that are on, in memory, so the check on a request path is a lookup and never a
// query. The board is loaded at start, reloaded when PostgreSQL notifies a change (NOTIFY at
// the change's commit), and reloaded on a timer in case a notification was missed; a change
// made in this process reloads it at once.

/** Longest reason or lift reason an operator can give. */
export const REASON_CHARS_MAX = 500;
export const REASON_CHARS_MIN = 3;
/** Lifted switches the console's history shows. */
const LIFTED_SHOWN_MAX = 50;

/** Who changes a switch: a signed-in operator, or a person at the command line. */
interface SwitchActor {
  type: Extract<ActorType, 'operator' | 'cli'>;
  id: string;
}

/** The request paths' view of the module: one in-memory check. */
export interface SwitchCheck {
  /** Throws service_suspended, naming what is suspended, when a switch covers the request. */
  refuse(request: GuardedRequest): void;
  /** Whether webhook deliveries are paused: for every merchant, or for these merchants. */
  webhooksPaused(): { all: boolean; merchantIds: readonly string[] };
}

/** A check that suspends nothing: for one module's unit tests, which build no board. */
export const NOTHING_SUSPENDED: SwitchCheck = Object.freeze({
  refuse: () => undefined,
  webhooksPaused: () => ({ all: false, merchantIds: [] }),
});

/**
 * The incidents module's timeline: each switch change taken for an incident is appended
 * there too, in the change's transaction; an incident id that does not exist is refused
 * (incident_not_found) and the change is not made.
 */
interface IncidentTimelinePort {
  appendTimeline(
    tx: Tx,
    incidentId: string,
    entry: {
      kind: string;
      summary: string;
      ref: { type: string; id: string };
      actor: SwitchActor;
      detail: Record<string, unknown>;
    },
  ): Promise<unknown>;
}

interface SwitchesDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  audit: Pick<Audit, 'append'>;
  outbox: {
    enqueue(tx: Tx, events: readonly { topic: string; key?: string; payload: object }[]): unknown;
  };
  /** Security admins and their email (identity's): told of every change, shown as names. */
  securityAdmins(db: Db): Promise<{ id: string; email: string }[]>;
  incidents: IncidentTimelinePort;
  /** config.limits.switchesReconcileSecondsInterval */
  reconcileSecondsInterval: number;
}

interface TurnOnInput {
  operation: Operation;
  scope: { type: ScopeType; value?: string | null | undefined };
  reason: string;
  incidentId?: string | undefined;
}

interface SwitchView {
  id: string;
  object: 'switch';
  operation: Operation;
  scope: { type: ScopeType; value: string | null };
  status: 'on' | 'lift_requested' | 'lifted';
  reason: string;
  incident_id: string | null;
  turned_on_by: string;
  turned_on_at: string;
  lift_requested_by: string | null;
  lift_requested_at: string | null;
  lift_reason: string | null;
  lifted_by: string | null;
  lifted_at: string | null;
  /** Operators' emails by the ids above, for people. */
  names: Record<string, string>;
}

export interface Switches extends SwitchCheck {
  turnOn(input: TurnOnInput, actor: SwitchActor): Promise<SwitchView>;
  /** The first of two operators: asks for the switch to be lifted, saying why. */
  requestLift(id: string, reason: string, actor: SwitchActor): Promise<SwitchView>;
  /** The second operator: lifts it. Never the one who asked. */
  approveLift(id: string, actor: SwitchActor): Promise<SwitchView>;
  list(): Promise<{ on: SwitchView[]; lifted: SwitchView[] }>;
  get(id: string): Promise<SwitchView>;
  /** Loads the board, then keeps it current (LISTEN and the timer); returns the stop. */
  start(): Promise<() => Promise<void>>;
  /** Reads the switches that are on into the board now. */
  reload(): Promise<void>;
}

/** The switches that are on, by operation. */
class Board {
  private byOperation = new Map<Operation, ActiveSwitch[]>();

  replace(rows: readonly store.SwitchRow[]): void {
    const next = new Map<Operation, ActiveSwitch[]>();
    for (const r of rows) {
      const s = activeSwitch(r.id, r.operation, { type: r.scope_type, value: r.scope_value });
      next.set(r.operation, [...(next.get(r.operation) ?? []), s]);
    }
    this.byOperation = next;
  }

  find(r: GuardedRequest): ActiveSwitch | undefined {
    const own = this.byOperation.get(r.operation) ?? [];
    const everything = this.byOperation.get('everything') ?? [];
    return own.find((s) => covers(s, r)) ?? everything.find((s) => covers(s, r));
  }

  webhooksPaused(): { all: boolean; merchantIds: string[] } {
    const list = [
      ...(this.byOperation.get('webhooks_out') ?? []),
      ...(this.byOperation.get('everything') ?? []),
    ];
    return {
      all: list.some((s) => s.scope.type === 'all'),
      merchantIds: list.filter((s) => s.scope.type === 'merchant').map((s) => s.scope.value!),
    };
  }
}

export function createSwitches(deps: SwitchesDeps): Switches {
  const board = new Board();
  const reload = serialisedReload(deps, board);
  const change = changes(deps, reload);
  return {
    refuse: (request) => {
      const s = board.find(request);
      if (!s) return;
      throw switchesError('service_suspended', {
        message: suspendedMessage(s),
        extra: { suspended: s.operation, scope: s.scope.type },
      });
    },
    webhooksPaused: () => board.webhooksPaused(),
    ...change,
    list: async () => {
      const [on, lifted, names] = await Promise.all([
        store.switchesOn(deps.sql),
        store.switchesLifted(deps.sql, LIFTED_SHOWN_MAX),
        namesOf(deps),
      ]);
      return { on: on.map((r) => view(r, names)), lifted: lifted.map((r) => view(r, names)) };
    },
    get: async (id) => {
      const row = await store.switchById(deps.sql, id);
      if (!row) throw switchesError('switch_not_found', { param: 'id' });
      return view(row, await namesOf(deps));
    },
    reload,
    start: () => startBoard(deps, reload),
  };
}

/**
 * Reloads run one at a time, and a reload asked for while one waits to run joins it: that
 * one starts after the ask, so it reads every change committed before.
 */
function serialisedReload(deps: SwitchesDeps, board: Board): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  return () => {
    if (queued) return chain;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      board.replace(await store.switchesOn(deps.sql));
    });
    const mine = chain;
    chain = chain.catch(() => undefined);
    return mine;
  };
}

/** LISTEN for changes and reconcile on a timer; the first load must succeed. */
async function startBoard(deps: SwitchesDeps, reload: () => Promise<void>) {
  await reload();
  const failed = (err: unknown) => deps.log.error({ err }, 'switches reload failed');
  const listening = await deps.sql.listen(
    store.SWITCHES_CHANNEL,
    (payload) => {
      if (payload !== 'ping') reload().catch(failed);
    },
    // Called again after the listening connection was re-established: whatever was
    // notified while it was down is read now.
    () => void reload().catch(failed),
  );
  const stopReconcile = startPeriodic({
    intervalMs: deps.reconcileSecondsInterval * 1000,
    // The ping keeps the listening connection from falling silent (the pool drops a silent
    // connection); the reload catches a notification that was missed.
    run: () => Promise.all([store.ping(deps.sql), reload()]),
    onError: failed,
  });
  return async () => {
    await stopReconcile();
    await listening.unlisten().catch(() => undefined);
  };
}

async function namesOf(deps: SwitchesDeps): Promise<Record<string, string>> {
  const admins = await deps.securityAdmins(deps.sql);
  return Object.fromEntries(admins.map((a) => [a.id, a.email]));
}

function view(r: store.SwitchRow, names: Record<string, string>): SwitchView {
  const ids = [r.turned_on_by, r.lift_requested_by, r.lifted_by].filter((x) => x !== null);
  return {
    id: r.id,
    object: 'switch',
    operation: r.operation,
    scope: { type: r.scope_type, value: r.scope_value },
    status: r.lifted_at ? 'lifted' : r.lift_requested_at ? 'lift_requested' : 'on',
    reason: r.reason,
    incident_id: r.incident_id,
    turned_on_by: r.turned_on_by,
    turned_on_at: r.turned_on_at.toISOString(),
    lift_requested_by: r.lift_requested_by,
    lift_requested_at: r.lift_requested_at?.toISOString() ?? null,
    lift_reason: r.lift_reason,
    lifted_by: r.lifted_by,
    lifted_at: r.lifted_at?.toISOString() ?? null,
    names: Object.fromEntries(ids.filter((id) => names[id]).map((id) => [id, names[id]!])),
  };
}

const actorIdOf = (a: SwitchActor) => (a.type === 'cli' ? `cli:${a.id}` : a.id);

function checkReason(reason: string, param: string): string {
  const r = reason.trim();
  if (r.length < REASON_CHARS_MIN || r.length > REASON_CHARS_MAX) {
    throw switchesError('switch_scope_invalid', {
      message: `The ${param} must be ${REASON_CHARS_MIN} to ${REASON_CHARS_MAX} characters.`,
      param,
    });
  }
  return r;
}

type Kind = 'turned_on' | 'lift_requested' | 'lifted';

/** A change's records, in its transaction: audit entry, notices, the incident's timeline. */
async function record(
  deps: SwitchesDeps,
  tx: Tx,
  row: store.SwitchRow,
  kind: Kind,
  actor: SwitchActor,
): Promise<void> {
  const detail = detailOf(row, kind);
  await deps.audit.append(tx, [auditEntry(row, kind, actor, detail)]);
  await tell(deps, tx, row, kind, actor);
  if (row.incident_id) {
    await deps.incidents.appendTimeline(tx, row.incident_id, {
      kind: `switch.${kind}`,
      summary: summaryOf(row, kind),
      ref: { type: 'switch', id: row.id },
      actor,
      detail,
    });
  }
}

/** The changes: each one row written, its records, and (on or off) its notification. */
function changes(deps: SwitchesDeps, reload: () => Promise<void>) {
  return {
    turnOn: async (input: TurnOnInput, actor: SwitchActor) => {
      const row = newSwitch(deps, input, actor);
      await deps.sql.begin(async (tx) => {
        if (!(await store.insertSwitch(tx, row))) throw switchesError('switch_already_on');
        await record(deps, tx, row, 'turned_on', actor);
        await store.notifyChanged(tx, row.id);
      });
      await reload();
      return view(row, await namesOf(deps));
    },
    requestLift: async (id: string, reason: string, actor: SwitchActor) => {
      const liftReason = checkReason(reason, 'reason');
      const row = await deps.sql.begin(async (tx) => {
        const r = await lockOn(tx, id);
        if (r.lift_requested_by) throw switchesError('switch_lift_already_requested');
        const by = actorIdOf(actor);
        const at = deps.clock.now();
        await store.setLiftRequest(tx, id, by, at, liftReason);
        const next = {
          ...r,
          lift_requested_by: by,
          lift_requested_at: at,
          lift_reason: liftReason,
        };
        await record(deps, tx, next, 'lift_requested', actor);
        return next;
      });
      return view(row, await namesOf(deps));
    },
    approveLift: async (id: string, actor: SwitchActor) => {
      const row = await deps.sql.begin(async (tx) => {
        const r = await lockOn(tx, id);
        if (!r.lift_requested_by) throw switchesError('switch_lift_not_requested');
        if (r.lift_requested_by === actorIdOf(actor)) {
          throw switchesError('switch_lift_needs_second_operator');
        }
        const next = { ...r, lifted_by: actorIdOf(actor), lifted_at: deps.clock.now() };
        await store.setLifted(tx, id, next.lifted_by, next.lifted_at);
        await record(deps, tx, next, 'lifted', actor);
        await store.notifyChanged(tx, id);
        return next;
      });
      await reload();
      return view(row, await namesOf(deps));
    },
  };
}

function newSwitch(deps: SwitchesDeps, input: TurnOnInput, actor: SwitchActor): store.SwitchRow {
  const scope = canonicalScope(input.operation, input.scope.type, input.scope.value);
  return {
    id: publicId('sw', 12),
    operation: input.operation,
    scope_type: scope.type,
    scope_value: scope.value,
    reason: checkReason(input.reason, 'reason'),
    incident_id: input.incidentId ?? null,
    turned_on_by: actorIdOf(actor),
    turned_on_at: deps.clock.now(),
    ...{ lift_requested_by: null, lift_requested_at: null, lift_reason: null },
    ...{ lifted_by: null, lifted_at: null },
  };
}

async function lockOn(tx: Tx, id: string): Promise<store.SwitchRow> {
  const r = await store.lockSwitch(tx, id);
  if (!r) throw switchesError('switch_not_found', { param: 'id' });
  if (r.lifted_at) throw switchesError('switch_lifted');
  return r;
}

function detailOf(row: store.SwitchRow, kind: Kind): Record<string, unknown> {
  return {
    operation: row.operation,
    scope: { type: row.scope_type, value: row.scope_value },
    reason: kind === 'turned_on' ? row.reason : row.lift_reason,
    incident_id: row.incident_id,
  };
}

function auditEntry(
  row: store.SwitchRow,
  kind: Kind,
  actor: SwitchActor,
  detail: Record<string, unknown>,
): AuditEntryInput {
  return {
    action: `switches.switch.${kind}`,
    actor,
    subject: { type: 'switch', id: row.id },
    outcome: 'success',
    detail,
  };
}

/** One line for the incident's timeline: `Kill switch topups (card_brand visa) turned on`. */
function summaryOf(row: store.SwitchRow, kind: Kind): string {
  const scope = row.scope_value ? `${row.scope_type} ${row.scope_value}` : 'all';
  const reason = kind === 'turned_on' ? row.reason : row.lift_reason;
  const what = { turned_on: 'turned on', lift_requested: 'lift requested', lifted: 'lifted' };
  return `Kill switch ${row.operation} (${scope}) ${what[kind]}: ${reason ?? ''}`.slice(0, 400);
}

const KIND_WORDS: Readonly<Record<Kind, string>> = {
  turned_on: 'turned on',
  lift_requested: 'asked to be lifted (another security admin approves it in the console)',
  lifted: 'lifted',
};

/** Every other security admin hears of the change by email, through the outbox. */
async function tell(
  deps: SwitchesDeps,
  tx: Tx,
  row: store.SwitchRow,
  kind: Kind,
  actor: SwitchActor,
): Promise<void> {
  const admins = (await deps.securityAdmins(tx)).filter((a) => a.id !== actor.id);
  const scope = row.scope_value ? `${row.scope_type} ${row.scope_value}` : 'all';
  const by = actorIdOf(actor);
  const messages: NotifyMessage[] = admins.map((a) => ({
    channel: 'email',
    to: a.email,
    subject: `Kinko kill switch ${row.operation} (${scope}) ${kind.replace('_', ' ')}`,
    text: [
      `The kill switch ${row.id} — ${row.operation}, ${scope} — was ${KIND_WORDS[kind]}.`,
      `By: ${by}`,
      `Reason: ${kind === 'turned_on' ? row.reason : row.lift_reason}`,
      row.incident_id ? `Incident: ${row.incident_id}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  }));
  if (messages.length === 0) return;
  await deps.outbox.enqueue(
    tx,
    messages.map((m) => ({ topic: NOTIFY_TOPIC, key: m.to, payload: m })),
  );
}
