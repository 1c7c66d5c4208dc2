import { createHash } from 'node:crypto';
import {
  merkleAuditPath,
  merkleRoot,
  type Audit,
  type ExportedCheckpoint,
  type ExportedEntry,
} from '../audit/index.ts';
import type { Sql } from '../db/index.ts';
import { isUuid } from '../lib/ids.ts';
import { BATCH_SUBJECT } from './batch-audit.ts';
import { canonicalTransferJson, transferLeaf, type CanonicalTransferJson } from './canonical.ts';
import * as store from './store.ts';

// An inclusion proof for one transfer (`kinko audit prove <id>`): the transfer in canonical
// form, its leaf's audit path to its batch's Merkle root, the batch's audit entry holding
// that root, the entries after it up to a signed checkpoint, and the checkpoint. A merchant
// or an auditor checks it with docs/verify-proof.mjs and the checkpoint public key alone,
// trusting neither the database nor this code (docs/audit-proofs.md).

const TRANSFER_PROOF_FORMAT = 'kinko-transfer-proof/v1';

export interface TransferProof {
  format: typeof TRANSFER_PROOF_FORMAT;
  transfer: CanonicalTransferJson;
  batch: {
    id: string;
    /** The transfer's leaf, 0-based, in the batch's creation order. */
    leaf_index: number;
    tree_size: number;
    /** Hex; the batch entry's detail holds the same root. */
    root: string;
    /** Sibling subtree roots from the leaf up (RFC 6962 PATH), hex. */
    audit_path: string[];
  };
  entry: ExportedEntry;
  chain: ExportedEntry[];
  checkpoint: ExportedCheckpoint;
  /** The checkpoint key: SHA-256 of its raw 32-byte Ed25519 public key (key id = first 16). */
  public_key_sha256: string;
}

export type TransferProofResult =
  | { ok: true; proof: TransferProof }
  | {
      ok: false;
      reason:
        | 'transfer_not_found'
        | 'created_before_batches'
        | 'batch_does_not_verify'
        | 'entry_not_found'
        | 'not_yet_checkpointed'
        | 'too_far_from_checkpoint';
    };

export async function proveTransfer(
  sql: Sql,
  audit: Audit,
  id: string,
): Promise<TransferProofResult> {
  const [t] = isUuid(id) ? await store.selectTransfersWithBatch(sql, [id]) : [];
  if (!t) return { ok: false, reason: 'transfer_not_found' };
  if (!t.batchId) return { ok: false, reason: 'created_before_batches' };
  const [batch] = await store.selectBatches(sql, [t.batchId], false);
  const index = batch?.transferIds.indexOf(id) ?? -1;
  if (!batch || index < 0) return { ok: false, reason: 'batch_does_not_verify' };
  const members = new Map(
    (await store.selectTransfersWithBatch(sql, batch.transferIds)).map((m) => [m.id, m]),
  );
  const leaves = batch.transferIds.map((m) => members.get(m)).map((m) => m && transferLeaf(m));
  const [entry] = await audit.listEntries({
    subjectType: BATCH_SUBJECT,
    subjectId: batch.id,
    limit: 1,
  });
  const root = leaves.every((l) => l) ? merkleRoot(leaves as Buffer[]).toString('hex') : '';
  // A proof is only made for a batch that verifies: the verifier would refuse it anyway.
  if (!entry || !entry.detail.includes(`"root":"${root}"`)) {
    return { ok: false, reason: 'batch_does_not_verify' };
  }
  const covered = await audit.proveEntry(entry.seq);
  if (!covered.ok) return covered;
  const { checkpoint } = covered.proof;
  const raw = Buffer.from(checkpoint.public_key, 'base64');
  return {
    ok: true,
    proof: {
      format: TRANSFER_PROOF_FORMAT,
      transfer: canonicalTransferJson(t),
      batch: {
        id: batch.id,
        leaf_index: index,
        tree_size: leaves.length,
        root,
        audit_path: merkleAuditPath(leaves as Buffer[], index).map((p) => p.toString('hex')),
      },
      ...covered.proof,
      public_key_sha256: createHash('sha256').update(raw).digest('hex'),
    },
  };
}
