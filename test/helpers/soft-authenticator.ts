import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// A software WebAuthn authenticator for tests, built from node:crypto and the W3C WebAuthn
// Level 3 formats: ES256 keys, attestation "none", authenticator data and clientDataJSON
// laid out byte by byte, with a minimal CBOR (RFC 8949) encoder for what it needs.

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | Record<string, never>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const entries = value instanceof Map ? [...value.entries()] : [];
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface SoftAuthenticator {
  credentialId: Buffer;
  counter: number;
  register(options: { challenge: string }, o?: { origin?: string; rpId?: string }): object;
  assert(options: { challenge: string }, o?: { origin?: string; rpId?: string; counter?: number; key?: KeyObject }): object;
}

export function softAuthenticator(defaults: { origin: string; rpId: string }): SoftAuthenticator {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(16);
  const cose = cbor(new Map<Cbor, Cbor>([
    [1, 2], [3, -7], [-1, 1],
    [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
  ]));
  const flagsAndCount = (flags: number, count: number) => {
    const b = Buffer.alloc(5);
    b[0] = flags;
    b.writeUInt32BE(count, 1);
    return b;
  };
  const self: SoftAuthenticator = {
    credentialId,
    counter: 0,
    register(options, o = {}) {
      const clientData = Buffer.from(JSON.stringify({
        type: 'webauthn.create', challenge: options.challenge, origin: o.origin ?? defaults.origin, crossOrigin: false,
      }));
      const idLen = Buffer.alloc(2);
      idLen.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([
        sha256(o.rpId ?? defaults.rpId), flagsAndCount(0x45, 0), Buffer.alloc(16), idLen, credentialId, cose,
      ]);
      const attestation = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
      return {
        id: b64(credentialId), rawId: b64(credentialId), type: 'public-key',
        response: { clientDataJSON: b64(clientData), attestationObject: b64(attestation), transports: ['internal'] },
        clientExtensionResults: {},
      };
    },
    assert(options, o = {}) {
      const count = o.counter ?? (self.counter += 1);
      const clientData = Buffer.from(JSON.stringify({
        type: 'webauthn.get', challenge: options.challenge, origin: o.origin ?? defaults.origin, crossOrigin: false,
      }));
      const authData = Buffer.concat([sha256(o.rpId ?? defaults.rpId), flagsAndCount(0x05, count)]);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), o.key ?? privateKey);
      return {
        id: b64(credentialId), rawId: b64(credentialId), type: 'public-key',
        response: { clientDataJSON: b64(clientData), authenticatorData: b64(authData), signature: b64(signature) },
        clientExtensionResults: {},
      };
    },
  };
  return self;
}
