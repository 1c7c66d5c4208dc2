import {
  merkleRoot,
  type AuditEntry,
  type CommitmentCheck,
  type CommitmentProblem,
  type CommitmentWalk,
  type EntryLookup,
} from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import { isUuid } from '../lib/ids.ts';
import { transferLeaf } from './canonical.ts';
import * as store from './store.ts';

// How `kinko audit verify` holds ledger_transfers to the audit chain. Each batch's entry
// commits to the Merkle root over its created transfers and their count; the chain proves
// the entry is unchanged, this walk proves the rows still hash to it. When a root does not
// match, the batch's stored leaves (which must themselves hash to the root before they are
// believed) say which transfer differs, so the finding names it. At the end, every transfer
// must be accounted for by some entry: a row no entry commits to was inserted.
//
// Limit, stated: an attacker who rewrites a transfer and also the batch's stored leaves is
// still caught (the root cannot be matched), but then only the batch is named.

export const BATCH_ACTION = 'ledger.batch.created';
export const BATCH_SUBJECT = 'ledger_batch';
/** Entries written one per created transfer before batches were audited by their root. */
const LEGACY_ACTIONS = [
  'ledger.transfer.created',
  'ledger.transfer.posted',
  'ledger.transfer.voided',
];
/** Transfers read per statement while verifying. */
const VERIFY_TRANSFERS_PER_READ = 16_384;
/** Rows read per statement when looking for one that no entry accounts for. */
const SCAN_PAGE_ROWS = 5_000;
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const MIN_UUID = '00000000-0000-0000-0000-000000000000';

export const ledgerAuditCommitments: CommitmentCheck = {
  actions: new Set([BATCH_ACTION, ...LEGACY_ACTIONS]),
  start: (db, lookup) => new BatchWalk(db, lookup),
};

interface BatchCommitment {
  seq: bigint;
  batchId: string;
  root: string;
  transfers: number;
}

type Stored = Map<string, Awaited<ReturnType<typeof store.selectTransfersWithBatch>>[number]>;

/** The batch entry's commitment; null when its detail is not one (never written by Kinko). */
function commitmentOf(e: AuditEntry): BatchCommitment | null {
  let detail: { root?: unknown; transfers?: unknown };
  try {
    detail = JSON.parse(e.detail) as typeof detail;
  } catch {
    return null;
  }
  const { root, transfers } = detail;
  if (typeof root !== 'string' || !/^[0-9a-f]{64}$/.test(root)) return null;
  if (typeof transfers !== 'number' || !Number.isSafeInteger(transfers) || transfers < 1) {
    return null;
  }
  if (e.subjectType !== BATCH_SUBJECT || !e.subjectId) return null;
  return { seq: e.seq, batchId: e.subjectId, root, transfers };
}

function transferProblem(seq: bigint, id: string, problem: string): CommitmentProblem {
  return { seq, problem, subject: { type: 'transfer', id } };
}

class BatchWalk implements CommitmentWalk {
  readonly #db: Db;
  readonly #lookup: EntryLookup;
  /** Transfers the batch entries walked so far commit to, and how many batches. */
  #batched = 0n;
  #batches = 0n;
  /** Transfers recorded one entry each (before batches); few, and no longer growing. */
  readonly #legacy = new Set<string>();

  constructor(db: Db, lookup: EntryLookup) {
    this.#db = db;
    this.#lookup = lookup;
  }

  async entries(page: readonly AuditEntry[]): Promise<CommitmentProblem | null> {
    const legacy = page.filter((e) => e.action !== BATCH_ACTION);
    const p = await this.#legacyEntries(legacy);
    if (p) return p;
    let group: BatchCommitment[] = [];
    let size = 0;
    for (const e of page) {
      if (e.action !== BATCH_ACTION) continue;
      const c = commitmentOf(e);
      if (!c) return { seq: e.seq, problem: `entry ${e.seq}: not a ledger batch commitment` };
      if (size + c.transfers > VERIFY_TRANSFERS_PER_READ && group.length > 0) {
        const p = await this.#batchGroup(group);
        if (p) return p;
        [group, size] = [[], 0];
      }
      group.push(c);
      size += c.transfers;
    }
    return group.length > 0 ? this.#batchGroup(group) : null;
  }

  async #batchGroup(group: readonly BatchCommitment[]): Promise<CommitmentProblem | null> {
    const rows = await store.selectBatches(
      this.#db,
      group.map((c) => c.batchId),
      false,
    );
    const batches = new Map(rows.map((b) => [b.id, b]));
    const ids = rows.flatMap((b) => b.transferIds);
    const stored: Stored = new Map();
    for (let i = 0; i < ids.length; i += VERIFY_TRANSFERS_PER_READ) {
      const part = ids.slice(i, i + VERIFY_TRANSFERS_PER_READ);
      for (const t of await store.selectTransfersWithBatch(this.#db, part)) stored.set(t.id, t);
    }
    for (const c of group) {
      const b = batches.get(c.batchId);
      if (!b) {
        const problem = `entry ${c.seq}: ledger batch ${c.batchId} is missing (deleted?)`;
        return { seq: c.seq, problem, subject: { type: BATCH_SUBJECT, id: c.batchId } };
      }
      const rowsMatch =
        b.transferIds.length === c.transfers &&
        b.transferIds.every((id) => stored.get(id)?.batchId === c.batchId);
      const leaves = rowsMatch ? b.transferIds.map((id) => transferLeaf(stored.get(id)!)) : [];
      if (!rowsMatch || merkleRoot(leaves).toString('hex') !== c.root) {
        return this.#nameTheDifference(c, stored);
      }
      this.#batched += BigInt(c.transfers);
      this.#batches += 1n;
    }
    return null;
  }

  /**
   * A batch whose transfers do not hash to its committed root: find which one, using the
   * stored leaves once they are shown to hash to that root.
   */
  async #nameTheDifference(c: BatchCommitment, stored: Stored): Promise<CommitmentProblem> {
    const [b] = await store.selectBatches(this.#db, [c.batchId], true);
    const raw = b?.leafHashes ?? Buffer.alloc(0);
    const leaves: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 32) leaves.push(raw.subarray(i, i + 32));
    const at = `entry ${c.seq}`;
    if (!b || leaves.length !== c.transfers || merkleRoot(leaves).toString('hex') !== c.root) {
      const problem =
        `${at}: ledger batch ${c.batchId} does not hash to the committed root, and neither` +
        ' do its stored leaves (rewritten?)';
      return { seq: c.seq, problem, subject: { type: BATCH_SUBJECT, id: c.batchId } };
    }
    for (const [i, id] of b.transferIds.entries()) {
      const t = stored.get(id);
      const where = `leaf ${i} of ledger batch ${c.batchId} (${at})`;
      if (!t) return transferProblem(c.seq, id, `transfer ${id}, ${where}, is missing (deleted?)`);
      if (t.batchId !== c.batchId) {
        const problem = `transfer ${id}, ${where}, names batch ${t.batchId} (edited?)`;
        return transferProblem(c.seq, id, problem);
      }
      if (!transferLeaf(t).equals(leaves[i]!)) {
        const problem =
          `transfer ${id}, ${where}, does not match what the entry committed` +
          ' (edited, or moved within its batch?)';
        return transferProblem(c.seq, id, problem);
      }
    }
    const problem = `${at}: ledger batch ${c.batchId} lists transfers out of their committed order`;
    return { seq: c.seq, problem, subject: { type: BATCH_SUBJECT, id: c.batchId } };
  }

  /** Entries of one transfer each: the transfer must exist, unbatched, with what they say. */
  async #legacyEntries(entries: readonly AuditEntry[]): Promise<CommitmentProblem | null> {
    if (entries.length === 0) return null;
    const ids = entries.flatMap((e) => (e.subjectId && isUuid(e.subjectId) ? [e.subjectId] : []));
    const found = new Map(
      (await store.selectTransfersWithBatch(this.#db, ids)).map((t) => [t.id, t]),
    );
    for (const e of entries) {
      const id = e.subjectId ?? '';
      const t = found.get(id);
      const detail = JSON.parse(e.detail) as { amount?: unknown; currency?: unknown };
      if (!t) {
        return transferProblem(e.seq, id, `transfer ${id} of entry ${e.seq} is missing (deleted?)`);
      }
      if (t.amount.toString() !== detail.amount || t.currency !== detail.currency || t.batchId) {
        const problem = `transfer ${id} does not match entry ${e.seq} (edited?)`;
        return transferProblem(e.seq, id, problem);
      }
      this.#legacy.add(id);
    }
    return null;
  }

  async end(headSeq: bigint): Promise<CommitmentProblem | null> {
    const counts = await store.batchCounts(this.#db);
    if (counts.batched !== this.#batched) {
      const [extra] = await store.unlistedBatchTransfers(this.#db, 1);
      if (extra) {
        const problem =
          `transfer ${extra.id} names ledger batch ${extra.batchId}, which does not list it` +
          ' (inserted?)';
        return transferProblem(headSeq, extra.id, problem);
      }
    }
    if (counts.batches !== this.#batches || counts.batched !== this.#batched) {
      const p = await this.#unauditedBatch(headSeq);
      if (p) return p;
    }
    if (counts.unbatched !== BigInt(this.#legacy.size)) {
      const p = await this.#unrecordedTransfer(headSeq);
      if (p) return p;
    }
    if (counts.batched !== this.#batched || counts.batches !== this.#batches) {
      const problem =
        `ledger_transfers holds ${counts.batched} transfers in ${counts.batches} batches;` +
        ` the audit chain commits to ${this.#batched} in ${this.#batches}`;
      return { seq: headSeq, problem };
    }
    return null;
  }

  /** A stored batch that no audit entry commits to: its transfers were inserted. */
  async #unauditedBatch(headSeq: bigint): Promise<CommitmentProblem | null> {
    for (let after = MIN_UUID; ;) {
      const ids = await store.batchIds(this.#db, after, SCAN_PAGE_ROWS);
      const last = ids[ids.length - 1];
      if (!last) return null;
      const audited = await this.#lookup.subjectsWithEntries(BATCH_SUBJECT, ids);
      const lone = ids.find((id) => !audited.has(id));
      if (lone) {
        const [b] = await store.selectBatches(this.#db, [lone], false);
        const id = b?.transferIds[0] ?? MAX_UUID;
        const problem =
          `transfer ${id} is in ledger batch ${lone}, which no audit entry commits to` +
          ' (inserted?)';
        return transferProblem(headSeq, id, problem);
      }
      after = last;
    }
  }

  /** A transfer in no batch that no per-transfer entry records either: it was inserted. */
  async #unrecordedTransfer(headSeq: bigint): Promise<CommitmentProblem | null> {
    for (let after = MIN_UUID; ;) {
      const ids = await store.unbatchedTransferIds(this.#db, after, SCAN_PAGE_ROWS);
      const last = ids[ids.length - 1];
      if (!last) return null;
      const lone = ids.find((id) => !this.#legacy.has(id));
      if (lone) {
        const problem = `transfer ${lone} is in no audited batch, nor recorded by an entry`;
        return transferProblem(headSeq, lone, `${problem} (inserted?)`);
      }
      after = last;
    }
  }
}
