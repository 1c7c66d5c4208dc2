import type { AuditEntryInput } from '../audit/index.ts';
import type { Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import {
  diff,
  hashTree,
  withFiles,
  type Difference,
  type Files,
  type Manifest,
} from './manifest.ts';
import * as store from './store.ts';
import { startPeriodic } from '../lib/periodic.ts';

// File integrity: hash the install, keep every manifest observed, compare with the newest
// approved one. The first manifest a database ever sees is its baseline (approved by the
// system, audited); after that only `kinko integrity approve` (a deliberate upgrade) moves
// the expected state, and any other difference raises an incident.

/** Paths of a difference kept in an incident or audit entry; the counts stay exact. */
const PATHS_REPORTED_MAX = 50;

interface IntegritySignal {
  detector: string;
  key: string;
  title: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  summary?: string;
  detail?: Record<string, unknown>;
}

interface IntegrityDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  audit: { append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void> };
  /** Joins the open incident of the same detector and key, or opens one. */
  raise(tx: Tx, signal: IntegritySignal): Promise<{ incidentId: string; joined: boolean }>;
  version: string;
  /** Kinko's install folder: what is hashed lives under it. */
  root: string;
  /** Counts checks by outcome (metrics). */
  count?: ((outcome: 'unchanged' | 'changed' | 'baseline') => void) | undefined;
  /**
   * What is served but not a file under root: the web apps as built (their bundles carry
   * npm dependencies no watched folder holds), by name under `served/`.
   */
  served?: (() => Promise<Files>) | undefined;
}

type CheckResult =
  | { outcome: 'baseline' | 'unchanged'; root: string }
  | {
      outcome: 'changed';
      root: string;
      expected: string;
      difference: Difference;
      incidentId: string;
    };

interface Approver {
  type: 'cli' | 'operator';
  id?: string | undefined;
}

export interface Integrity {
  /** Hashes the install and compares it with the approved manifest (an incident if not). */
  check(): Promise<CheckResult>;
  /** Approves what is installed now as the expected state (a deliberate upgrade), audited. */
  approve(by: Approver, reason: string): Promise<{ root: string; difference: Difference | null }>;
  /** Checks at once, then every intervalSeconds; returns stop(). */
  startWorker(intervalSeconds: number): () => Promise<void>;
}

const hex = (b: Buffer) => b.toString('hex');

function reported(d: Difference) {
  const cut = (list: string[]) => list.slice(0, PATHS_REPORTED_MAX);
  return {
    added: cut(d.added),
    removed: cut(d.removed),
    changed: cut(d.changed),
    counts: { added: d.added.length, removed: d.removed.length, changed: d.changed.length },
  };
}

export function createIntegrity(deps: IntegrityDeps): Integrity {
  // The served part is computed before the transaction, so no build runs while it is open.
  const observer = async () => {
    const served = (await deps.served?.()) ?? {};
    return async (tx: Tx): Promise<Manifest> => {
      const m = withFiles(hashTree(deps.root), served);
      const observedAt = deps.clock.now();
      await store.insertManifest(tx, { ...m, observedAt, version: deps.version });
      return m;
    };
  };
  const check = async () => {
    const observe = await observer();
    return deps.sql.begin((tx) => checkIn(tx, deps, observe));
  };
  const approve = async (by: Approver, reason: string) => {
    const observe = await observer();
    return deps.sql.begin(async (tx) => {
      await store.lockApprovals(tx);
      const m = await observe(tx);
      const before = await store.newestApproved(tx);
      const at = deps.clock.now();
      await store.insertApproval(tx, {
        ...{ root: m.root, at, actorType: by.type, actorId: by.id ?? null, reason },
      });
      const difference = before ? diff(before.files, m.files) : null;
      await deps.audit.append(tx, [
        {
          action: 'integrity.manifest.approved',
          actor: by,
          subject: { type: 'integrity_manifest', id: hex(m.root) },
          outcome: 'success',
          detail: { reason, ...(difference ? reported(difference) : {}) },
        },
      ]);
      return { root: hex(m.root), difference };
    });
  };
  return { check, approve, startWorker: (s) => startChecks(deps, check, s) };
}

async function checkIn(
  tx: Tx,
  deps: IntegrityDeps,
  observe: (tx: Tx) => Promise<Manifest>,
): Promise<CheckResult> {
  await store.lockApprovals(tx);
  const m = await observe(tx);
  const approved = await store.newestApproved(tx);
  const root = hex(m.root);
  if (!approved) {
    const reason = 'first manifest this database has seen: the baseline';
    await store.insertApproval(tx, {
      ...{ root: m.root, at: deps.clock.now(), actorType: 'system', actorId: null, reason },
    });
    await deps.audit.append(tx, [
      {
        action: 'integrity.manifest.baseline',
        actor: { type: 'system' },
        subject: { type: 'integrity_manifest', id: root },
        outcome: 'success',
        detail: { files: Object.keys(m.files).length, version: deps.version },
      },
    ]);
    deps.count?.('baseline');
    return { outcome: 'baseline', root };
  }
  if (approved.root_hash.equals(m.root)) {
    deps.count?.('unchanged');
    return { outcome: 'unchanged', root };
  }
  const difference = diff(approved.files, m.files);
  const expected = hex(approved.root_hash);
  const detail = { expected_root: expected, observed_root: root, ...reported(difference) };
  const raised = await deps.raise(tx, {
    detector: 'integrity.files',
    key: `observed:${root}`,
    title: 'Files Kinko serves or runs changed without an approved upgrade',
    severity: 'critical',
    detail,
  });
  await deps.audit.append(tx, [
    {
      action: 'integrity.files.changed',
      actor: { type: 'system' },
      subject: { type: 'integrity_manifest', id: root },
      outcome: 'failure',
      detail: { ...detail, incident_id: raised.incidentId },
    },
  ]);
  deps.count?.('changed');
  if (!raised.joined) deps.log.error(detail, 'file integrity: unapproved change, incident raised');
  return { outcome: 'changed', root, expected, difference, incidentId: raised.incidentId };
}

function startChecks(deps: IntegrityDeps, check: () => Promise<CheckResult>, seconds: number) {
  return startPeriodic({
    intervalMs: seconds * 1000,
    immediately: true,
    run: check,
    onError: (err) => deps.log.error({ err }, 'file integrity check failed'),
  });
}
