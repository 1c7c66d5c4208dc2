import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { checkpointMessage, entryHash, type AuditEntry, type CheckpointRecord } from './chain.ts';

// The pure part of verification: fed entries in seq order (and the checkpoints that fall on
// them), it recomputes the chain and names the first thing that does not hold. It keeps
// only the last seq and hash, so a chain of any length verifies in constant memory.

export interface ChainProblem {
  seq: bigint;
  problem: string;
}

export class ChainVerifier {
  #seq: bigint;
  #hash: Buffer;
  readonly #trusted: ReadonlyMap<string, KeyObject>;

  /** Starts after entry `start.seq` whose hash is `start.hash` (0 and GENESIS_HASH at first). */
  constructor(start: { seq: bigint; hash: Buffer }, trusted: ReadonlyMap<string, KeyObject>) {
    this.#seq = start.seq;
    this.#hash = start.hash;
    this.#trusted = trusted;
  }

  /** The seq of the last entry accepted. */
  get seq(): bigint {
    return this.#seq;
  }

  /** The hash of the last entry accepted. */
  get hash(): Buffer {
    return this.#hash;
  }

  /** Checks the next entry; on success it becomes the last accepted one. */
  entry(e: AuditEntry): ChainProblem | null {
    assert(e.seq > this.#seq, 'entries must be fed in increasing seq order');
    const expected = this.#seq + 1n;
    if (e.seq !== expected) {
      return { seq: expected, problem: `entry ${expected} missing (deleted?)` };
    }
    if (!e.prevHash.equals(this.#hash)) {
      return {
        seq: e.seq,
        problem:
          `entry ${e.seq}: prev_hash does not link to entry ${this.#seq}` +
          ' (inserted or reordered?)',
      };
    }
    if (!entryHash(e.prevHash, e).equals(e.hash)) {
      return { seq: e.seq, problem: `entry ${e.seq}: hash does not match its content (edited?)` };
    }
    this.#seq = e.seq;
    this.#hash = e.hash;
    return null;
  }

  /**
   * Checks a checkpoint at the last accepted entry: its signature must verify under a trusted
   * key, and the head hash it signed must be the chain's hash there. The signature is checked
   * first, so a checkpoint whose hash was rewritten to fit a forged chain reads as forged.
   */
  checkpoint(c: CheckpointRecord, label = 'checkpoint'): ChainProblem | null {
    assert(c.seq === this.#seq, 'a checkpoint is checked at its own seq');
    const at = `${label} at ${c.seq}`;
    const key = this.#trusted.get(c.keyId);
    if (!key) {
      return { seq: c.seq, problem: `${at}: signed by key ${c.keyId}, which is not trusted` };
    }
    if (!verifySignature(null, checkpointMessage(c.seq, c.headHash), key, c.signature)) {
      return { seq: c.seq, problem: `${at}: signature invalid` };
    }
    if (!c.headHash.equals(this.#hash)) {
      const problem = `${at}: signed head hash does not match the chain (rewritten?)`;
      return { seq: c.seq, problem };
    }
    return null;
  }
}
