import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { identityError } from './errors.ts';

// Device keys (7pay 2019: accounts were not bound to devices). The wallet app creates a
// non-extractable WebCrypto ECDSA P-256 key pair and registers the public half as a JWK.
// To prove it is the device, it signs the text proofMessage(action, challenge) with
// ECDSA/SHA-256; WebCrypto gives the signature as r‖s (IEEE P1363, 64 bytes), base64url.

interface DeviceJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Keeps only the public members of a P-256 JWK, refusing anything else (and any `d`). */
export function parseDeviceJwk(input: Record<string, unknown>): { jwk: DeviceJwk; key: KeyObject } {
  const { kty, crv, x, y, d } = input;
  const valid =
    kty === 'EC' &&
    crv === 'P-256' &&
    d === undefined &&
    typeof x === 'string' &&
    B64URL_32.test(x) &&
    typeof y === 'string' &&
    B64URL_32.test(y);
  if (!valid) throw identityError('device_key_invalid', { param: 'public_key' });
  const jwk: DeviceJwk = { kty: 'EC', crv: 'P-256', x, y };
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    return { jwk, key };
  } catch {
    // x, y not on the curve.
    throw identityError('device_key_invalid', { param: 'public_key' });
  }
}

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: DeviceJwk): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The exact bytes a device signs: versioned, naming the action, so a proof fits one use. */
export function proofMessage(action: string, challenge: string): Buffer {
  return Buffer.from(`kinko-device-proof.v1.${action}.${challenge}`, 'utf8');
}

export function verifyDeviceSignature(
  jwk: DeviceJwk,
  action: string,
  challenge: string,
  signatureB64url: string,
): boolean {
  const signature = Buffer.from(signatureB64url, 'base64url');
  if (signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const message = proofMessage(action, challenge);
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
