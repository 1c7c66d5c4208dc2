import type { Db } from '../db/index.ts';
import type { AuditEntry } from './chain.ts';

// Entries that commit to rows kept outside the chain. A ledger batch's entry holds only the
// Merkle root over its transfers; the transfers are the ledger's rows. The chain proves the
// root was not changed; a commitment check, supplied by the module that owns the rows, proves
// the rows still hash to it, and that no row exists that no entry commits to. Verify runs
// each check inside its own snapshot, after the chain up to those entries has been verified.

/** A finding: the entry it concerns (or the chain's length, for rows no entry names). */
export interface CommitmentProblem {
  seq: bigint;
  problem: string;
  /** The record named, when there is one (a transfer edited, deleted or inserted). */
  subject?: { type: string; id: string } | undefined;
}

export interface CommitmentCheck {
  /** The entries handed to this check, by action. */
  readonly actions: ReadonlySet<string>;
  /** Starts one verify walk, reading through `db` (verify's snapshot). */
  start(db: Db, lookup: EntryLookup): CommitmentWalk;
}

export interface CommitmentWalk {
  /** Entries of the check's actions in seq order, a page at a time. */
  entries(page: readonly AuditEntry[]): Promise<CommitmentProblem | null>;
  /** After the last entry (`headSeq`): rows that no entry committed to. */
  end(headSeq: bigint): Promise<CommitmentProblem | null>;
}

export interface EntryLookup {
  /** Of these subject ids, those that some entry of this subject type names. */
  subjectsWithEntries(subjectType: string, ids: readonly string[]): Promise<Set<string>>;
}
