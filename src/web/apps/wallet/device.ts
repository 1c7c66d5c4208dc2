// This browser's device key (7pay 2019: accounts were not bound to devices). An ECDSA
// P-256 key pair made by WebCrypto as non-extractable: the private half can sign but can
// never be read out, not even by this page. The CryptoKey objects themselves are kept in
// IndexedDB (structured clone keeps them non-extractable), one record per customer.

const DB_NAME = 'kinko-wallet';
const STORE = 'devices';

export interface DeviceRecord {
  /** The customer id, or "pending" between sign-up and its verification. */
  owner: string;
  deviceId: string | null;
  keys: CryptoKeyPair;
  createdAt: string;
}

interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'owner' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = fn(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result as T);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

export function loadDevice(owner: string): Promise<DeviceRecord | undefined> {
  return tx<DeviceRecord | undefined>('readonly', (s) => s.get(owner));
}

export async function saveDevice(record: DeviceRecord): Promise<void> {
  await tx('readwrite', (s) => s.put(record));
}

export async function forgetDevice(owner: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(owner));
}

export async function newDeviceKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
}

/** Only the public members: the API refuses anything else in a device key. */
export async function publicJwk(keys: CryptoKeyPair): Promise<PublicJwk> {
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  if (!jwk.x || !jwk.y) throw new Error('device key export failed');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

function base64url(bytes: ArrayBuffer): string {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The kinko-device-proof header value: "<challenge>.<r‖s signature, base64url>". */
export async function signProof(
  keys: CryptoKeyPair,
  action: string,
  challenge: string,
): Promise<string> {
  const message = new TextEncoder().encode(`kinko-device-proof.v1.${action}.${challenge}`);
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keys.privateKey,
    message,
  );
  return `${challenge}.${base64url(signature)}`;
}

export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Chrome\//.test(ua)
      ? 'Chrome'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}
