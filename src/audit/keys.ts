import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { auditError } from './errors.ts';

// The Ed25519 key that signs audit checkpoints. It lives in a file outside the database, so
// an attacker who can rewrite tables still cannot sign a checkpoint over a forged chain.

export interface AuditSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** First 16 hex characters of SHA-256 over the raw 32-byte public key. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Buffer;
}

/** Something that names a trusted public key: a KeyObject, a PEM, or raw bytes in base64. */
export type PublicKeyInput = KeyObject | string | Buffer;

export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError('audit checkpoint keys must be Ed25519');
  }
  return Buffer.from(jwk.x, 'base64url');
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

export function toPublicKey(input: PublicKeyInput): KeyObject {
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) {
    return input.type === 'private' ? createPublicKey(input) : input;
  }
  if (typeof input === 'string' && input.includes('-----BEGIN')) return createPublicKey(input);
  const raw = typeof input === 'string' ? Buffer.from(input, 'base64') : input;
  if (raw.length !== 32) throw new TypeError('a raw Ed25519 public key has 32 bytes');
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') };
  return createPublicKey({ key: jwk, format: 'jwk' });
}

function fromPrivateKey(privateKey: KeyObject): AuditSigningKey {
  const publicKey = createPublicKey(privateKey);
  const publicKeyRaw = rawPublicKey(publicKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), publicKeyRaw };
}

/** A key kept only in memory, for tests and one-off tools. */
export function generateAuditSigningKey(): AuditSigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/**
 * Loads the signing key from `file`, creating it (mode 0600, directory 0700) when missing.
 * A file that group or others can access is refused: a key that others can read lets them
 * sign checkpoints over a forged chain.
 */
export function loadOrCreateAuditSigningKey(file: string): AuditSigningKey {
  if (!fs.existsSync(file)) createKeyFile(file);
  const stat = fs.statSync(file);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw auditError('audit_signing_key_exposed', {
      message:
        `audit signing key file ${file} is accessible by group or others (mode ${mode});` +
        ` run: chmod 600 ${file}`,
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
  } catch {
    throw auditError('audit_signing_key_invalid', {
      message: `audit signing key file ${file} does not hold a PEM private key`,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw auditError('audit_signing_key_invalid', {
      message:
        `audit signing key file ${file} holds a ${privateKey.asymmetricKeyType} key,` +
        ' not an Ed25519 one',
    });
  }
  return fromPrivateKey(privateKey);
}

function createKeyFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  try {
    // 'wx' fails if another process created the file first; then we use theirs.
    fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
