import { sign, type KeyObject } from 'node:crypto';
import type { Db, Sql } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import { KinkoError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import {
  checkpointMessage,
  exportCheckpoint,
  GENESIS_HASH,
  importCheckpoint,
  type CheckpointRecord,
  type ExportedCheckpoint,
} from './chain.ts';
import './errors.ts';
import { keyIdOf, toPublicKey, type AuditSigningKey, type PublicKeyInput } from './keys.ts';
import * as store from './store.ts';
import { ChainVerifier, type ChainProblem } from './verify.ts';

// Checking the chain and signing its head. Verification reads the whole chain in pages
// inside one repeatable-read snapshot, so entries appended meanwhile neither slip in halfway
// nor make the head look wrong, and memory stays bounded by the page size.

/** Rows read per round trip while verifying: large enough to amortise, small in memory. */
export const VERIFY_PAGE_ENTRIES = 5000;
/** Most checkpoints one exportCheckpoints() call returns; page on with afterSeq. */
export const EXPORT_CHECKPOINTS_MAX = 10_000;
/** The largest int8: "no upper bound" for seq ranges. */
const SEQ_MAX = 9223372036854775807n;

export interface VerifyOptions {
  /** Trusted checkpoint keys; defaults to the audit instance's own signing key. */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[] | undefined;
  /** Checkpoints exported earlier and kept off the host; each must still match the chain. */
  exportedCheckpoints?: readonly ExportedCheckpoint[] | undefined;
  pageEntries?: number | undefined;
}

export type VerifyResult =
  | { ok: true; entries: bigint; checkpoints: number; exportedCheckpoints: number }
  | { ok: false; seq: bigint; problem: string };

export function trustedKeys(input: VerifyOptions['publicKey'], own: AuditSigningKey | undefined) {
  const list = input === undefined ? (own ? [own.publicKey] : []) : [input].flat();
  const map = new Map<string, KeyObject>();
  for (const k of list) {
    const key = toPublicKey(k);
    map.set(keyIdOf(key), key);
  }
  return map;
}

export async function verifyChain(
  sql: Sql,
  trusted: ReadonlyMap<string, KeyObject>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const pageEntries = options.pageEntries ?? VERIFY_PAGE_ENTRIES;
  assert(pageEntries > 0, 'verify page size must be positive');
  const exported = (options.exportedCheckpoints ?? []).map(importCheckpoint);
  exported.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const head = await store.readHead(tx);
    const v = new ChainVerifier({ seq: 0n, hash: GENESIS_HASH }, trusted);
    let checkpoints = 0;
    let next = 0;
    for (;;) {
      const page = await store.readEntries(tx, v.seq, pageEntries);
      const last = page[page.length - 1];
      if (!last) break;
      const stored = await store.readCheckpoints(tx, v.seq, last.seq, pageEntries);
      let s = 0;
      for (const e of page) {
        const problem = v.entry(e);
        if (problem) return failed(problem);
        for (; stored[s]?.seq === e.seq; s++, checkpoints++) {
          const p = v.checkpoint(stored[s]!);
          if (p) return failed(p);
        }
        for (; exported[next]?.seq === e.seq; next++) {
          const p = v.checkpoint(exported[next]!, 'exported checkpoint');
          if (p) return failed(p);
        }
      }
    }
    const problem = await checkEnd(tx, v, head, exported[next]);
    if (problem) return failed(problem);
    return { ok: true, entries: v.seq, checkpoints, exportedCheckpoints: exported.length };
  });
}

function failed(p: ChainProblem): VerifyResult {
  return { ok: false, seq: p.seq, problem: p.problem };
}

/** After the last entry: the head must name it, and no checkpoint may lie beyond it. */
async function checkEnd(
  db: Db,
  v: ChainVerifier,
  head: { seq: bigint; hash: Buffer },
  exportedBeyond: CheckpointRecord | undefined,
): Promise<ChainProblem | null> {
  const n = v.seq;
  if (head.seq !== n) {
    const seq = (head.seq < n ? head.seq : n) + 1n;
    return { seq, problem: `head says ${head.seq} entries, chain has ${n}` };
  }
  if (!head.hash.equals(v.hash)) return { seq: n, problem: `head hash does not match entry ${n}` };
  // A checkpoint past the end proves entries existed that are gone: the tail was cut.
  const [stored] = await store.readCheckpoints(db, n, SEQ_MAX, 1);
  const beyond = [stored, exportedBeyond].filter((c) => c !== undefined);
  beyond.sort((a, b) => (a.seq < b.seq ? -1 : 1));
  const first = beyond[0];
  if (!first) return null;
  const label = first === stored ? 'checkpoint' : 'exported checkpoint';
  // The first missing entry is the first bad one; the checkpoint is the evidence.
  return {
    seq: n + 1n,
    problem: `${label} at ${first.seq}: chain has only ${n} entries (truncated?)`,
  };
}

/**
 * Signs the current head unless it has not moved since the last checkpoint. Before signing,
 * it re-verifies the entries added since that checkpoint, so a signature never vouches for
 * a chain that was already tampered with.
 */
export async function writeCheckpoint(
  sql: Sql,
  clock: Clock,
  key: AuditSigningKey,
): Promise<CheckpointRecord | null> {
  // Read committed is enough: entries up to a committed head never change (short of
  // tampering, which the walk below catches), and a repeatable-read snapshot would turn a
  // checkpoint inserted meanwhile by another process into a serialization failure.
  return sql.begin(async (tx) => {
    // One checkpointer at a time across processes; the others have nothing to add.
    if (!(await store.tryCheckpointLock(tx))) return null;
    const head = await store.readHead(tx);
    const last = await store.lastCheckpoint(tx);
    if (head.seq === 0n || (last && last.seq >= head.seq)) return null;
    const start = last ? { seq: last.seq, hash: last.headHash } : { seq: 0n, hash: GENESIS_HASH };
    // Only our own key can be checked here; checkpoints by other hosts are left to verify().
    const own = new Map([[key.keyId, key.publicKey]]);
    const v = new ChainVerifier(start, own);
    const problem = last && last.keyId === key.keyId ? v.checkpoint(last) : null;
    const broken = problem ?? (await verifySegment(tx, v, head));
    if (broken) {
      throw new KinkoError('audit_chain_broken', {
        message: `audit chain does not verify (${broken.problem}); no checkpoint signed`,
      });
    }
    const signature = sign(null, checkpointMessage(head.seq, head.hash), key.privateKey);
    return store.insertCheckpoint(tx, {
      seq: head.seq,
      headHash: head.hash,
      keyId: key.keyId,
      publicKey: key.publicKeyRaw,
      signature,
      createdAt: clock.now(),
    });
  });
}

async function verifySegment(
  db: Db,
  v: ChainVerifier,
  head: { seq: bigint; hash: Buffer },
): Promise<ChainProblem | null> {
  for (;;) {
    const page = await store.readEntriesUpTo(db, v.seq, head.seq, VERIFY_PAGE_ENTRIES);
    if (page.length === 0) break;
    for (const e of page) {
      const problem = v.entry(e);
      if (problem) return problem;
    }
  }
  if (v.seq !== head.seq) {
    return { seq: v.seq + 1n, problem: `head says ${head.seq} entries, chain has ${v.seq}` };
  }
  if (!v.hash.equals(head.hash)) {
    return { seq: head.seq, problem: `head hash does not match entry ${head.seq}` };
  }
  return null;
}

export async function exportCheckpoints(
  db: Db,
  options: { afterSeq?: bigint | undefined; limit?: number | undefined },
): Promise<ExportedCheckpoint[]> {
  const limit = options.limit ?? EXPORT_CHECKPOINTS_MAX;
  assert(
    Number.isInteger(limit) && limit > 0 && limit <= EXPORT_CHECKPOINTS_MAX,
    `export limit must be 1..${EXPORT_CHECKPOINTS_MAX}`,
  );
  const rows = await store.readCheckpoints(db, options.afterSeq ?? 0n, SEQ_MAX, limit);
  return rows.map(exportCheckpoint);
}

/**
 * Writes a checkpoint every intervalSeconds when the head moved. Runs never overlap; a
 * failure is logged at error (a broken chain is an incident) and the timer keeps going.
 * The returned function stops the timer and resolves once a running checkpoint finishes.
 */
export function startCheckpointTimer(
  write: () => Promise<CheckpointRecord | null>,
  intervalSeconds: number,
  log: Logger,
): () => Promise<void> {
  assert(intervalSeconds > 0 && intervalSeconds <= 86_400, 'checkpoint interval is 0..86400 s');
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = write()
      .then((c) => {
        if (c) log.info({ seq: c.seq.toString(), key_id: c.keyId }, 'audit checkpoint signed');
      })
      .catch((err: unknown) => log.error({ err }, 'audit checkpoint failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  // The timer alone must not keep a process alive that is otherwise shutting down.
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
