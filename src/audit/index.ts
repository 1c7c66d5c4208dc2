import type { Sql, Tx } from '../db/index.ts';
import type { AuditEntryInput } from './chain.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import {
  append,
  appendStatement,
  chainAll,
  createChainer,
  listEntries,
  type Chainer,
} from './audit.ts';
import { countUnchained, newestCheckpointAt } from './store.ts';
import {
  exportCheckpoints,
  startCheckpointTimer,
  trustedKeys,
  verifyChain,
  writeCheckpoint,
} from './integrity.ts';
import type { AuditSigningKey } from './keys.ts';
import type { CommitmentCheck } from './commitments.ts';
import { proveEntry } from './proof.ts';
import type { Audit } from './service.ts';
import { auditError } from './errors.ts';

// Audit: the append-only, hash-chained record of who did what, to what, from where, and
// how it ended.
//
// Glossary
// - entry: one recorded event, written in the caller's transaction; once chained it is
//   numbered by seq (1, 2, 3, … with no gaps).
// - unchained entry: committed but not numbered or hashed yet (seq null); the chainer
//   chains it within auditChainDelayMs.
// - chain: each entry's hash covers the previous entry's hash and the entry itself; chain
//   order (seq) is the order entries were chained: committed ones, by id (write order).
// - chainer: the one statement (audit_chain) that locks the head, numbers and hashes the
//   committed unchained entries and moves the head; every process runs it after appends.
// - head: the newest chained entry's seq and hash (table audit_head).
// - checkpoint: an Ed25519 signature over (seq, head hash), exportable off the host.
// - signing key: the Ed25519 key pair in a 0600 file outside the database; key id = first
//   16 hex characters of SHA-256 over the raw public key.
// - trusted key: a public key the verifier accepts checkpoint signatures from.
// - anchor: a file beside the signing key (outside the database, one per host) to which the
//   newest checkpoint is appended; verify holds the chain to its newest line, so deleting
//   checkpoints or cutting entries they cover is caught without an export.
// - uncovered entries: those after the newest checkpoint, not yet signed or anchored; the
//   checkpoint timer signs them within checkpointSeconds.
// - verify: recompute the whole chain and check every checkpoint; the answer names the
//   first seq that does not hold.
// - Merkle root: one hash committing to a batch of records (RFC 6962 hashing, merkle.ts);
//   an entry that holds one stands for the whole batch.
// - proof: an entry, the entries after it up to a signed checkpoint, and that checkpoint:
//   checkable offline with only the checkpoint public key.
// - audit path: the sibling hashes that lead from one record's leaf to its batch's root.

export type { AuditEntryInput, AuditEntry, ActorType, Outcome } from './chain.ts';
export type { ExportedCheckpoint } from './chain.ts';
export { entryHash, checkpointMessage, GENESIS_HASH } from './chain.ts';
export { loadOrCreateAuditSigningKey, generateAuditSigningKey } from './keys.ts';
export { merkleAuditPath, merkleLeafHash, merkleRoot, merkleRootPacked } from './merkle.ts';
export type { AnchorStatus } from './integrity.ts';
export { type ExportedEntry } from './proof.ts';
export type {
  CommitmentCheck,
  CommitmentProblem,
  CommitmentWalk,
  EntryLookup,
} from './commitments.ts';
export { ANCHOR_FILE_NAME } from './anchor.ts';
export { INSERT_ENTRIES_MAX as AUDIT_APPEND_INSERT_ENTRIES_MAX } from './audit.ts';
export { auditRoutes } from './routes.ts';

export type { Audit } from './service.ts';

interface AuditDeps {
  clock: Clock;
  /** The pool that checkpoint, verify, export and listing read and write through. */
  sql?: Sql | undefined;
  /** Signs checkpoints and is the default trusted key for verify. */
  signingKey?: AuditSigningKey | undefined;
  /**
   * The anchor file checkpoints are mirrored to and verify checks (config.auditAnchorFile,
   * beside the signing key file by default); none when absent.
   */
  anchorFile?: string | undefined;
  /**
   * Checks, by the modules that own them, that rows outside the chain still match the
   * entries committing to them (the ledger's batches); verify runs them all.
   */
  commitments?: readonly CommitmentCheck[] | undefined;
  /**
   * How soon after an append this process chains what was committed (limits'
   * auditChainDelayMs; AUDIT_CHAIN_DELAY_MS_DEFAULT when absent).
   */
  chainDelayMs?: number | undefined;
  /** Where chaining failures are reported (they are retried by the next run). */
  log?: Logger | undefined;
  /**
   * Told of every append, in the appending transaction (the SIEM export enqueues the
   * security-relevant entries there, so they commit or roll back with them).
   */
  onAppend?: ((tx: Tx, entries: readonly AuditEntryInput[]) => Promise<void>) | undefined;
  /**
   * The entries onAppend must hear of (the SIEM export's security events). appendStatement
   * cannot run the hook, so it refuses them: such an entry goes through append.
   */
  exported?: ((entry: AuditEntryInput) => boolean) | undefined;
}

/** The chaining delay of an audit instance made without one (tests, tools). */
const AUDIT_CHAIN_DELAY_MS_DEFAULT = 10;

export function createAudit(deps: AuditDeps): Audit {
  const pool = (): Sql => {
    assert(deps.sql, 'this audit instance was created without sql');
    return deps.sql;
  };
  const key = (): AuditSigningKey => {
    if (!deps.signingKey) throw auditError('audit_signing_key_missing');
    return deps.signingKey;
  };
  // Without a pool (some tests) entries are chained by whoever reads the chain next.
  const delayMs = deps.chainDelayMs ?? AUDIT_CHAIN_DELAY_MS_DEFAULT;
  const chainer: Chainer | undefined = deps.sql && createChainer(deps.sql, delayMs, deps.log);
  const chain = () => chainAll(pool());
  const checkpoint = async () => {
    await chain();
    return writeCheckpoint(pool(), deps.clock, key(), deps.anchorFile);
  };
  return {
    append: async (tx, entries) => {
      await append(tx, deps.clock, entries);
      if (deps.onAppend) await deps.onAppend(tx, entries);
      chainer?.soon();
    },
    hooked: (entries) => entries.some((e) => deps.exported?.(e) ?? false),
    appendStatement: (tx, entries) => {
      const exported = entries.find((e) => deps.exported?.(e));
      assert(!exported, `${exported?.action} is a security event: append it with audit.append`);
      const statement = appendStatement(tx, deps.clock, entries);
      chainer?.soon();
      return statement;
    },
    chain,
    idle: async () => chainer?.idle(),
    unchainedEntries: () => countUnchained(pool()),
    checkpoint,
    verify: async (options = {}) => {
      await chain();
      return verifyChain(
        pool(),
        trustedKeys(options.publicKey, deps.signingKey),
        {
          ...options,
          anchorFile: options.anchorFile === undefined ? deps.anchorFile : options.anchorFile,
        },
        deps.commitments,
      );
    },
    exportCheckpoints: (options = {}) => exportCheckpoints(pool(), options),
    newestCheckpointAt: () => newestCheckpointAt(pool()),
    startCheckpointTimer: (intervalSeconds, log) => {
      key();
      return startCheckpointTimer(checkpoint, intervalSeconds, log);
    },
    listEntries: async (filter, db) => {
      if (db) return listEntries(db, filter);
      await chain();
      return listEntries(pool(), filter);
    },
    proveEntry: async (seq) => {
      await chain();
      return proveEntry(pool(), seq);
    },
  };
}
