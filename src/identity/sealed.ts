import type { Sql } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import { loadOrCreateKeyFile } from '../lib/keyfile.ts';
import { open, seal, SEAL_KEY_BYTES } from '../lib/seal.ts';
import * as store from './store.ts';

// TOTP secrets at rest (migration 0015): AES-256-GCM (lib/seal.ts) under the identity
// secrets key, a 32-byte key in a 0600 file beside the vault's keys, outside the database.
// The associated data names the owner, so a box copied onto another customer's or
// operator's row fails to open rather than letting that account be entered with a known
// secret.
//
// Format: version (1) || lib/seal.ts's box (nonce 12 || ciphertext || tag 16).

const VERSION = 1;

type SecretOwner = { kind: 'customer' | 'operator' | 'merchant_person'; id: string };

const aadOf = (owner: SecretOwner) => Buffer.from(`kinko:totp:v1:${owner.kind}:${owner.id}`);

export function sealTotpSecret(key: Buffer, owner: SecretOwner, secret: Buffer): Buffer {
  return Buffer.concat([Buffer.of(VERSION), seal(key, secret, aadOf(owner))]);
}

/** The secret in a box; throws when the box was altered, moved or sealed under another key. */
function openTotpSecret(key: Buffer, owner: SecretOwner, box: Buffer): Buffer {
  if (box[0] !== VERSION) {
    throw new Error(`the TOTP secret of ${owner.kind} ${owner.id} is not a sealed secret`);
  }
  return open(key, box.subarray(1), aadOf(owner));
}

/**
 * The owner's TOTP secret, or undefined when there is none that opens: a box altered, moved
 * from another row or sealed under another key (logged as an error: someone wrote to the
 * table), or a secret still in clear, which only start-up's sealing may read. Verification
 * then fails closed, as for a wrong code.
 */
export function totpSecretOf(
  deps: { secretsKey: Buffer; log: Logger },
  owner: SecretOwner,
  box: Buffer | null,
): Buffer | undefined {
  if (box === null) {
    deps.log.error({ owner: owner.kind, id: owner.id }, 'TOTP secret is not sealed');
    return undefined;
  }
  try {
    return openTotpSecret(deps.secretsKey, owner, box);
  } catch {
    deps.log.error({ owner: owner.kind, id: owner.id }, 'TOTP secret does not open');
    return undefined;
  }
}

/** Reads the key file, creating it (0600, random) on first use (lib/keyfile.ts). */
export function loadOrCreateIdentitySecretsKey(file: string): Buffer {
  return loadOrCreateKeyFile(file, SEAL_KEY_BYTES);
}

/**
 * Seals every TOTP secret still stored in clear (rows written before migration 0015); run
 * at start-up, before anything reads them. Returns how many were sealed. Idempotent, and
 * safe with several processes starting at once (rows are locked and re-checked).
 */
export async function sealLegacyTotpSecrets(sql: Sql, key: Buffer): Promise<number> {
  const sealed = await sql.begin(async (tx) => {
    const customers = await store.lockClearTotpSecrets(tx);
    const operators = await store.lockClearOperatorSecrets(tx);
    for (const r of customers) {
      const box = sealTotpSecret(key, { kind: 'customer', id: r.id }, r.secret);
      await store.storeSealedTotpSecret(tx, r.id, box);
    }
    for (const r of operators) {
      const box = sealTotpSecret(key, { kind: 'operator', id: r.id }, r.secret);
      await store.storeSealedOperatorSecret(tx, r.id, box);
    }
    return customers.length + operators.length;
  });
  // The rows in clear are now dead tuples; a full vacuum rewrites both tables so their old
  // versions leave the data files (WAL segments written before are recycled in time).
  if (sealed > 0) await store.vacuumTotpTables(sql);
  return sealed;
}
