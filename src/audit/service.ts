import type { Db, Fragment, Tx } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import type { AuditEntry, AuditEntryInput, CheckpointRecord, ExportedCheckpoint } from './chain.ts';
import type { VerifyOptions, VerifyResult } from './integrity.ts';
import type { EntryProofResult } from './proof.ts';
import type { EntryFilter } from './store.ts';

// What the audit module offers the rest of Kinko: createAudit (index.ts) builds it, and the
// routes take it as a parameter from here, so no file of the module imports index.ts.

export interface Audit {
  /** Writes entries within the caller's transaction; they are chained soon after commit. */
  append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void>;
  /**
   * The same append (1..64 entries) as an INSERT made but not sent, for the caller to send
   * in tx inside a statement of its own (a WITH item), so a change and its entries cost one
   * statement. The caller must send it; chaining is scheduled as by append. It does not run
   * the onAppend hook, so it refuses an entry the hook must hear of (a security event the
   * SIEM export sends): those go through append. Made on the pool rather than in a
   * transaction, it may also be sent alone: a statement that is its own transaction.
   */
  appendStatement(tx: Db, entries: readonly AuditEntryInput[]): Fragment;
  /**
   * Whether any of entries is one the onAppend hook must hear of (a security event the SIEM
   * export sends, e.g. a ledger batch an operator's approval posts): then append, not
   * appendStatement.
   */
  hooked(entries: readonly AuditEntryInput[]): boolean;
  /** Chains every entry committed so far (readers of the chain call it first). */
  chain(): Promise<void>;
  /**
   * Waits until this process's chainer has nothing due or running: what a process does
   * before it closes its pool, so a run is not cut off (CONNECTION_ENDED) and the entries it
   * appended are chained.
   */
  idle(): Promise<void>;
  /** Entries written but not chained yet. */
  unchainedEntries(): Promise<bigint>;
  /**
   * Signs the current head and mirrors the newest checkpoint to the anchor file; null when
   * the head has not moved since the last checkpoint.
   */
  checkpoint(): Promise<CheckpointRecord | null>;
  /** Recomputes the whole chain and checks every checkpoint and the anchor file. */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /** Stored checkpoints as plain JSON, oldest first, to ship off the host. */
  exportCheckpoints(options?: { afterSeq?: bigint; limit?: number }): Promise<ExportedCheckpoint[]>;
  /** When the newest checkpoint was signed; null before the first (metrics: its age). */
  newestCheckpointAt(): Promise<Date | null>;
  /** Runs checkpoint() every intervalSeconds; returns stop(). */
  startCheckpointTimer(intervalSeconds: number, log: Logger): () => Promise<void>;
  /** Entries for operators, oldest first; page with afterSeq = last seq seen. */
  listEntries(filter: EntryFilter, db?: Db): Promise<AuditEntry[]>;
  /**
   * Entry `seq`, the entries after it up to the first signed checkpoint covering it, and that
   * checkpoint: what proves the entry offline with only the checkpoint public key.
   */
  proveEntry(seq: bigint): Promise<EntryProofResult>;
}
