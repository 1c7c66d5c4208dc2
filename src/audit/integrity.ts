import { sign, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { Db, Sql, Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import {
  checkpointMessage,
  exportCheckpoint,
  GENESIS_HASH,
  importCheckpoint,
  type AuditEntry,
  type CheckpointRecord,
  type ExportedCheckpoint,
} from './chain.ts';
import {
  appendAnchorLine,
  readAnchor,
  readAnchorTail,
  type AnchorContents,
  type AnchorLine,
} from './anchor.ts';
import { keyIdOf, toPublicKey, type AuditSigningKey, type PublicKeyInput } from './keys.ts';
import * as store from './store.ts';
import { ChainVerifier, type ChainProblem } from './verify.ts';
import type { CommitmentCheck, CommitmentProblem, CommitmentWalk } from './commitments.ts';
import { auditError } from './errors.ts';
import { startPeriodic } from '../lib/periodic.ts';

// Checking the chain and signing its head. Verification reads the whole chain in pages
// inside one repeatable-read snapshot, so entries appended meanwhile neither slip in halfway
// nor make the head look wrong, and memory stays bounded by the page size.

/** Rows read per round trip while verifying: large enough to amortise, small in memory. */
const VERIFY_PAGE_ENTRIES = 5000;
/** Most checkpoints one exportCheckpoints() call returns; page on with afterSeq. */
const EXPORT_CHECKPOINTS_MAX = 10_000;
/** The largest int8: "no upper bound" for seq ranges. */
const SEQ_MAX = 9223372036854775807n;

export interface VerifyOptions {
  /** Trusted checkpoint keys; defaults to the audit instance's own signing key. */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[] | undefined;
  /** Checkpoints exported earlier and kept off the host; each must still match the chain. */
  exportedCheckpoints?: readonly ExportedCheckpoint[] | undefined;
  /**
   * The anchor file to hold the chain to; defaults to the audit instance's own (beside its
   * signing key). null checks none.
   */
  anchorFile?: string | null | undefined;
  pageEntries?: number | undefined;
}

/** What the anchor file told verify. */
export interface AnchorStatus {
  file: string;
  /** The anchored head: the highest seq in the file (0 when it holds no readable line). */
  seq: bigint;
  lines: number;
  unreadableLines: number;
  /** Entries the database's newest checkpoint covers beyond the anchored head. */
  behindEntries: bigint;
}

export type VerifyResult =
  | {
      ok: true;
      entries: bigint;
      checkpoints: number;
      exportedCheckpoints: number;
      /** Entries after the newest checkpoint: not yet signed, so not yet anchored. */
      uncoveredEntries: bigint;
      /** null when no anchor file was checked (none configured, or none written yet). */
      anchor: AnchorStatus | null;
    }
  | {
      ok: false;
      seq: bigint;
      problem: string;
      /** The record named, when a commitment check found one (a transfer, a batch). */
      subject?: { type: string; id: string } | undefined;
    };

export function trustedKeys(input: VerifyOptions['publicKey'], own: AuditSigningKey | undefined) {
  const list = input === undefined ? (own ? [own.publicKey] : []) : [input].flat();
  const map = new Map<string, KeyObject>();
  for (const k of list) {
    const key = toPublicKey(k);
    map.set(keyIdOf(key), key);
  }
  return map;
}

/**
 * The chain walk's state beside the verifier: which stored checkpoint was seen last and how
 * many, and the checkpoints held off the database (exported, anchored) still ahead.
 */
interface Walk {
  v: ChainVerifier;
  checkpoints: number;
  lastStoredSeq: bigint;
  exported: CheckpointRecord[];
  next: number;
  anchored: AnchorLine | null;
}

export async function verifyChain(
  sql: Sql,
  trusted: ReadonlyMap<string, KeyObject>,
  options: VerifyOptions,
  commitments: readonly CommitmentCheck[] = [],
): Promise<VerifyResult> {
  const pageEntries = options.pageEntries ?? VERIFY_PAGE_ENTRIES;
  assert(pageEntries > 0, 'verify page size must be positive');
  const exported = (options.exportedCheckpoints ?? []).map(importCheckpoint);
  exported.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  // The file is read before the snapshot is taken: a checkpoint anchored meanwhile is then
  // already in the snapshot, never beyond it.
  const anchor = options.anchorFile ? await readAnchor(options.anchorFile) : null;
  if (anchor?.conflict) return failed(anchor.conflict);
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const head = await store.readHead(tx);
    const w: Walk = {
      v: new ChainVerifier({ seq: 0n, hash: GENESIS_HASH }, trusted),
      checkpoints: 0,
      lastStoredSeq: 0n,
      exported,
      next: 0,
      anchored: anchor?.head ?? null,
    };
    const lookup = {
      subjectsWithEntries: (type: string, ids: readonly string[]) =>
        store.subjectsWithEntries(tx, type, ids),
    };
    const walks = commitments.map((c) => ({ c, walk: c.start(tx, lookup) }));
    for (;;) {
      const page = await store.readEntries(tx, w.v.seq, pageEntries);
      const last = page[page.length - 1];
      if (!last) break;
      const stored = await store.readCheckpoints(tx, w.v.seq, last.seq, pageEntries);
      let s = 0;
      for (const e of page) {
        const problem = w.v.entry(e);
        if (problem) return failed(problem);
        for (; stored[s]?.seq === e.seq; s++) {
          const p = storedCheckpoint(w, stored[s]!);
          if (p) return failed(p);
        }
        const p = offDatabaseCheckpoints(w, e.seq);
        if (p) return failed(p);
      }
      const p = await commitmentsOf(walks, page);
      if (p) return failed(p);
    }
    const problem = await checkEnd(tx, w, head);
    if (problem) return failed(problem);
    const unchained = await unchainedCommitments(tx, walks, w.v.seq, pageEntries);
    if (unchained) return failed(unchained);
    for (const { walk } of walks) {
      const p = await walk.end(w.v.seq);
      if (p) return failed(p);
    }
    const anchored = anchor && anchorStatus(anchor, w.lastStoredSeq);
    return {
      ok: true,
      entries: w.v.seq,
      checkpoints: w.checkpoints,
      exportedCheckpoints: exported.length,
      uncoveredEntries: w.v.seq - w.lastStoredSeq,
      anchor: anchored,
    };
  });
}

/**
 * Entries committed but not chained yet when the snapshot was taken (verify chains first, but
 * writers keep committing): the rows they commit to are in the snapshot too, so the
 * commitment checks get them after the chain, in write order, or those rows would look
 * inserted. They are named at the chain's length: they have no seq yet.
 */
async function unchainedCommitments(
  tx: Tx,
  walks: readonly { c: CommitmentCheck; walk: CommitmentWalk }[],
  chainLength: bigint,
  pageEntries: number,
): Promise<CommitmentProblem | null> {
  if (walks.length === 0) return null;
  for (let afterId = 0n; ;) {
    const page = await store.readUnchainedEntries(tx, afterId, pageEntries);
    const last = page[page.length - 1];
    if (!last) return null;
    afterId = last.id;
    const entries = page.map((r) => ({ ...r.entry, seq: chainLength }));
    const p = await commitmentsOf(walks, entries);
    if (p) return p;
  }
}

/** Hands a verified page's entries to the checks of their actions. */
async function commitmentsOf(
  walks: readonly { c: CommitmentCheck; walk: CommitmentWalk }[],
  page: readonly AuditEntry[],
): Promise<CommitmentProblem | null> {
  for (const { c, walk } of walks) {
    const mine = page.filter((e) => c.actions.has(e.action));
    if (mine.length === 0) continue;
    const p = await walk.entries(mine);
    if (p) return p;
  }
  return null;
}

function storedCheckpoint(w: Walk, c: CheckpointRecord): ChainProblem | null {
  w.checkpoints += 1;
  w.lastStoredSeq = c.seq;
  return w.v.checkpoint(c);
}

/**
 * The exported and anchored checkpoints at entry `seq`. An anchored one must also still be
 * in the database, with as many checkpoints up to it as when it was anchored: checkpoints
 * deleted from the database are caught here, even when what is left is self-consistent.
 */
function offDatabaseCheckpoints(w: Walk, seq: bigint): ChainProblem | null {
  for (; w.exported[w.next]?.seq === seq; w.next++) {
    const p = w.v.checkpoint(w.exported[w.next]!, 'exported checkpoint');
    if (p) return p;
  }
  const a = w.anchored;
  if (a?.checkpoint.seq !== seq) return null;
  const p = w.v.checkpoint(a.checkpoint, 'anchored checkpoint');
  if (p) return p;
  if (w.lastStoredSeq !== seq) {
    return {
      seq,
      problem: `anchored checkpoint at ${seq} is missing from the database (deleted?)`,
    };
  }
  if (BigInt(w.checkpoints) !== a.count) {
    const problem =
      `the anchor counts ${a.count} checkpoints up to ${seq}, the database holds` +
      ` ${w.checkpoints} (deleted?)`;
    return { seq, problem };
  }
  return null;
}

function anchorStatus(anchor: AnchorContents, lastStoredSeq: bigint): AnchorStatus {
  const seq = anchor.head?.checkpoint.seq ?? 0n;
  return {
    file: anchor.file,
    seq,
    lines: anchor.lines,
    unreadableLines: anchor.unreadable,
    behindEntries: lastStoredSeq > seq ? lastStoredSeq - seq : 0n,
  };
}

function failed(p: ChainProblem | CommitmentProblem): VerifyResult {
  const subject = 'subject' in p ? p.subject : undefined;
  return { ok: false, seq: p.seq, problem: p.problem, ...(subject ? { subject } : {}) };
}

/**
 * After the last entry: the head must name it, and no checkpoint (stored, exported or
 * anchored) may lie beyond it.
 */
async function checkEnd(
  db: Db,
  w: Walk,
  head: { seq: bigint; hash: Buffer },
): Promise<ChainProblem | null> {
  const n = w.v.seq;
  if (head.seq !== n) {
    const seq = (head.seq < n ? head.seq : n) + 1n;
    return { seq, problem: `head says ${head.seq} entries, chain has ${n}` };
  }
  if (!head.hash.equals(w.v.hash)) {
    return { seq: n, problem: `head hash does not match entry ${n}` };
  }
  // A checkpoint past the end proves entries existed that are gone: the tail was cut.
  const [stored] = await store.readCheckpoints(db, n, SEQ_MAX, 1);
  const anchored = w.anchored && w.anchored.checkpoint.seq > n ? w.anchored.checkpoint : undefined;
  const beyond: Array<[CheckpointRecord | undefined, string]> = [
    [stored, 'checkpoint'],
    [w.exported[w.next], 'exported checkpoint'],
    [anchored, 'anchored checkpoint'],
  ];
  let first: [CheckpointRecord, string] | undefined;
  for (const [c, label] of beyond) {
    if (c && (!first || c.seq < first[0].seq)) first = [c, label];
  }
  if (!first) return null;
  // The first missing entry is the first bad one; the checkpoint is the evidence.
  return {
    seq: n + 1n,
    problem: `${first[1]} at ${first[0].seq}: chain has only ${n} entries (truncated?)`,
  };
}

/**
 * Signs the current head unless it has not moved since the last checkpoint, then mirrors the
 * newest checkpoint into the anchor file when the file does not have it yet (this one, or
 * one another process signed). The file is written after commit, so it never names a
 * checkpoint the database lacks; a crash in between leaves it behind, and the next run
 * catches up.
 */
export async function writeCheckpoint(
  sql: Sql,
  clock: Clock,
  key: AuditSigningKey,
  anchorFile?: string | undefined,
): Promise<CheckpointRecord | null> {
  // Read committed is enough: entries up to a committed head never change (short of
  // tampering, which the walk below catches), and a repeatable-read snapshot would turn a
  // checkpoint inserted meanwhile by another process into a serialization failure.
  const done = await sql.begin(async (tx) => {
    // One checkpointer at a time across processes; the others have nothing to add.
    if (!(await store.tryCheckpointLock(tx))) return null;
    const head = await store.readHead(tx);
    const last = await store.lastCheckpoint(tx);
    const tail = anchorFile ? await readAnchorTail(anchorFile) : null;
    const moved = head.seq > 0n && (!last || last.seq < head.seq);
    const signed = moved ? await signHead(tx, clock, key, head, last, tail) : null;
    const newest = signed ?? last;
    const line = anchorFile && newest ? await anchorLineFor(tx, tail, newest, key) : null;
    return { signed, line };
  });
  if (done?.line && anchorFile) await appendAnchorLine(anchorFile, done.line);
  return done?.signed ?? null;
}

/**
 * Before signing, it re-verifies the entries added since the last checkpoint, so a
 * signature never vouches for a chain that was already tampered with.
 */
async function signHead(
  tx: Tx,
  clock: Clock,
  key: AuditSigningKey,
  head: { seq: bigint; hash: Buffer },
  last: CheckpointRecord | null,
  anchored: AnchorLine | null,
): Promise<CheckpointRecord | null> {
  const start = last ? { seq: last.seq, hash: last.headHash } : { seq: 0n, hash: GENESIS_HASH };
  // Only our own key can be checked here; checkpoints by other hosts are left to verify().
  const own = new Map([[key.keyId, key.publicKey]]);
  const v = new ChainVerifier(start, own);
  const ownLast = last && last.keyId === key.keyId ? v.checkpoint(last) : null;
  const broken = anchorAhead(anchored, last) ?? ownLast ?? (await verifySegment(tx, v, head));
  if (broken) {
    throw auditError('audit_chain_broken', {
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
}

/**
 * The anchor line for `newest`, or null when the file (whose last line is `tail`) already
 * reaches it. Only a checkpoint
 * this process can check is mirrored: signed by its own key, with a valid signature. The
 * count carries on from the file's last line, so a checkpoint deleted from the database
 * since then is not counted away.
 */
/**
 * The anchor names a checkpoint the database no longer has (checkpoints deleted, or the
 * anchor belongs to another database, e.g. before a restore): signing now would vouch for
 * whatever replaced them.
 */
function anchorAhead(anchored: AnchorLine | null, last: CheckpointRecord | null) {
  const a = anchored?.checkpoint;
  if (!a || (last && last.seq >= a.seq)) return null;
  const problem =
    `anchored checkpoint at ${a.seq} is missing from the database, whose newest is at` +
    ` ${last?.seq ?? 0n} (deleted, or an anchor file of another database?)`;
  return { seq: a.seq, problem };
}

async function anchorLineFor(
  tx: Tx,
  tail: AnchorLine | null,
  newest: CheckpointRecord,
  key: AuditSigningKey,
): Promise<AnchorLine | null> {
  if (tail && tail.checkpoint.seq >= newest.seq) return null;
  const message = checkpointMessage(newest.seq, newest.headHash);
  if (newest.keyId !== key.keyId) return null;
  if (!verifySignature(null, message, key.publicKey, newest.signature)) return null;
  const from = tail?.checkpoint.seq ?? 0n;
  const count = (tail?.count ?? 0n) + (await store.countCheckpoints(tx, from, newest.seq));
  return { checkpoint: newest, count };
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
  return startPeriodic({
    intervalMs: intervalSeconds * 1000,
    run: async () => {
      const c = await write();
      if (c) log.info({ seq: c.seq.toString(), key_id: c.keyId }, 'audit checkpoint signed');
    },
    onError: (err) => log.error({ err }, 'audit checkpoint failed'),
  });
}
