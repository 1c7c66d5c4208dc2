import type { Sql } from '../db/index.ts';
import { exportCheckpoint, type AuditEntry, type ExportedCheckpoint } from './chain.ts';
import * as store from './store.ts';

// The audit half of an inclusion proof: one entry, every entry after it up to the first
// signed checkpoint at or beyond it, and that checkpoint. Rehashing the entries from the
// first one's prev_hash reaches the checkpoint's signed head hash, so the checkpoint's
// Ed25519 signature covers the entry. Anyone holding the checkpoint public key can check it
// without the database (docs/verify-proof.mjs).
//
// A proof shows those later entries in full (who did what, from which address), so it is
// for whoever may see the audit log; checkpoints every few seconds keep the stretch short.

/** Most entries a proof carries between its entry and the checkpoint covering it. */
const PROOF_ENTRIES_MAX = 50_000;
const SEQ_MAX = 9223372036854775807n;

/** An entry as a proof carries it: the fields entryHash() covers, bytes as hex. */
export interface ExportedEntry {
  seq: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  outcome: string;
  /** The canonical JSON text exactly as hashed. */
  detail: string;
  prev_hash: string;
  hash: string;
}

function exportEntry(e: AuditEntry): ExportedEntry {
  return {
    seq: e.seq.toString(),
    at: e.at.toISOString(),
    actor_type: e.actorType,
    actor_id: e.actorId,
    action: e.action,
    subject_type: e.subjectType,
    subject_id: e.subjectId,
    source_ip: e.sourceIp,
    request_id: e.requestId,
    outcome: e.outcome,
    detail: e.detail,
    prev_hash: e.prevHash.toString('hex'),
    hash: e.hash.toString('hex'),
  };
}

interface EntryProof {
  entry: ExportedEntry;
  /** Entries seq+1 … checkpoint.seq, in order. */
  chain: ExportedEntry[];
  checkpoint: ExportedCheckpoint;
}

export type EntryProofResult =
  | { ok: true; proof: EntryProof }
  | { ok: false; reason: 'entry_not_found' | 'not_yet_checkpointed' | 'too_far_from_checkpoint' };

/** The proof for entry `seq`, read in one snapshot. */
export async function proveEntry(sql: Sql, seq: bigint): Promise<EntryProofResult> {
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const [checkpoint] = await store.readCheckpoints(tx, seq - 1n, SEQ_MAX, 1);
    const [entry] = await store.readEntriesUpTo(tx, seq - 1n, seq, 1);
    if (!entry || entry.seq !== seq) return { ok: false, reason: 'entry_not_found' } as const;
    if (!checkpoint) return { ok: false, reason: 'not_yet_checkpointed' } as const;
    if (checkpoint.seq - seq > BigInt(PROOF_ENTRIES_MAX)) {
      return { ok: false, reason: 'too_far_from_checkpoint' } as const;
    }
    const chain = await store.readEntriesUpTo(tx, seq, checkpoint.seq, PROOF_ENTRIES_MAX);
    return {
      ok: true,
      proof: {
        entry: exportEntry(entry),
        chain: chain.map(exportEntry),
        checkpoint: exportCheckpoint(checkpoint),
      },
    } as const;
  });
}
