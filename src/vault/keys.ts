import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { KEY_BYTES, open, seal } from './crypto.ts';
import { vaultError } from './errors.ts';

// Key providers: where the key-encryption keys (KEKs) and the fingerprint key live. The
// interface is the shape of a KMS (wrap/unwrap by version, keys never handed out), so a KMS
// adapter plugs in without the vault changing. Two adapters here:
// - file: a JSON key file, 0600, outside the data directory (development, single host);
// - environment: the same JSON in KINKO_VAULT_KEYS (production secrets injection).

export interface KeyProvider {
  /** The version new data keys are wrapped with. */
  currentVersion(): Promise<number>;
  /** Every version the provider can still unwrap, oldest first. */
  versions(): Promise<number[]>;
  wrap(
    dataKey: Buffer,
    aad: (version: number) => Buffer,
  ): Promise<{ version: number; wrapped: Buffer }>;
  unwrap(version: number, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** The HMAC key for card fingerprints: its own key, never a KEK. */
  fingerprintKey(): Promise<Buffer>;
  /** Creates a new KEK version and makes it current (file adapter only). */
  createVersion(): Promise<number>;
  /** Destroys KEK versions no data key uses any more (file adapter only). */
  retire(versions: readonly number[]): Promise<void>;
}

const FORMAT = 'kinko-vault-keys-v1';

interface KeyFile {
  format: typeof FORMAT;
  current: number;
  keks: Record<string, string>;
  fingerprint: string;
}

interface Keyring {
  current: number;
  keks: Map<number, Buffer>;
  fingerprint: Buffer;
}

function parseKeyring(text: string, where: string): Keyring {
  let raw: Partial<KeyFile>;
  try {
    raw = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  if (raw.format !== FORMAT) throw new Error(`${where}: format must be ${FORMAT}`);
  const keks = new Map<number, Buffer>();
  for (const [v, b64] of Object.entries(raw.keks ?? {})) {
    const key = Buffer.from(b64, 'base64');
    if (!/^[1-9][0-9]*$/.test(v) || key.length !== KEY_BYTES)
      throw new Error(`${where}: bad KEK ${v}`);
    keks.set(Number(v), key);
  }
  const fp = Buffer.from(raw.fingerprint ?? '', 'base64');
  if (fp.length !== KEY_BYTES) throw new Error(`${where}: bad fingerprint key`);
  if (typeof raw.current !== 'number' || !keks.has(raw.current)) {
    throw new Error(`${where}: current KEK version missing`);
  }
  return { current: raw.current, keks, fingerprint: fp };
}

function serialise(k: Keyring): string {
  const keks: Record<string, string> = {};
  for (const [v, key] of [...k.keks].sort((a, b) => a[0] - b[0]))
    keks[String(v)] = key.toString('base64');
  const file: KeyFile = {
    format: FORMAT,
    current: k.current,
    keks,
    fingerprint: k.fingerprint.toString('base64'),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

function newKeyring(): Keyring {
  return {
    current: 1,
    keks: new Map([[1, randomBytes(KEY_BYTES)]]),
    fingerprint: randomBytes(KEY_BYTES),
  };
}

function keyringProvider(load: () => Keyring, save?: (k: Keyring) => void): KeyProvider {
  const kek = (ring: Keyring, version: number): Buffer => {
    const key = ring.keks.get(version);
    if (!key)
      throw vaultError('vault_key_version_unknown', {
        message: `KEK version ${version} is not available.`,
      });
    return key;
  };
  const mustSave = (): ((k: Keyring) => void) => {
    if (!save) throw vaultError('vault_key_rotation_unsupported');
    return save;
  };
  return {
    currentVersion: async () => load().current,
    versions: async () => [...load().keks.keys()].sort((a, b) => a - b),
    wrap: async (dataKey, aad) => {
      const ring = load();
      return {
        version: ring.current,
        wrapped: seal(kek(ring, ring.current), dataKey, aad(ring.current)),
      };
    },
    unwrap: async (version, wrapped, aad) => open(kek(load(), version), wrapped, aad),
    fingerprintKey: async () => load().fingerprint,
    createVersion: async () => {
      const ring = load();
      const version = Math.max(...ring.keks.keys()) + 1;
      ring.keks.set(version, randomBytes(KEY_BYTES));
      mustSave()({ ...ring, current: version });
      return version;
    },
    retire: async (versions) => {
      const ring = load();
      assert(!versions.includes(ring.current), 'the current KEK version cannot be retired');
      for (const v of versions) ring.keks.delete(v);
      mustSave()(ring);
    },
  };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface FileKeyProviderOptions {
  file: string;
  /** The data directory the key file must stay out of. */
  dataDir?: string | undefined;
  /** Create the file with a fresh keyring when it does not exist (development). */
  create?: boolean;
}

/**
 * The key file adapter. The file must be mode 0600 (or stricter) and outside the data
 * directory; a looser file is refused rather than used. The file is re-read when it changes,
 * so a rotation by `kinko keys rotate` reaches running processes without a restart.
 */
export function fileKeyProvider(options: FileKeyProviderOptions): KeyProvider {
  const file = path.resolve(options.file);
  if (options.dataDir && isInside(file, path.resolve(options.dataDir))) {
    throw new Error(`vault key file ${file} must be outside the data directory ${options.dataDir}`);
  }
  if (!fs.existsSync(file)) {
    if (!options.create) throw new Error(`vault key file ${file} does not exist`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, serialise(newKeyring()), { mode: 0o600, flag: 'wx' });
  }
  let cached: { ino: number; mtimeMs: number; size: number; ring: Keyring } | undefined;
  const load = (): Keyring => {
    const st = fs.statSync(file);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(
        `vault key file ${file} has mode ${(st.mode & 0o777).toString(8)}; it must be 0600`,
      );
    }
    const same = cached && cached.ino === st.ino && cached.mtimeMs === st.mtimeMs;
    if (cached && same && cached.size === st.size) return cached.ring;
    const ring = parseKeyring(fs.readFileSync(file, 'utf8'), file);
    cached = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, ring };
    return ring;
  };
  const save = (ring: Keyring): void => {
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, serialise(ring), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    cached = undefined;
  };
  load();
  return keyringProvider(load, save);
}

/** The environment adapter: KINKO_VAULT_KEYS holds the key file's JSON. Rotation is a deploy. */
export function envKeyProvider(env: Readonly<Record<string, string | undefined>>): KeyProvider {
  const text = env['KINKO_VAULT_KEYS'];
  if (!text) throw new Error('KINKO_VAULT_KEYS is not set');
  const ring = parseKeyring(text, 'KINKO_VAULT_KEYS');
  return keyringProvider(() => ring);
}

/** A fresh keyring as the JSON the file and environment adapters read. */
export function generateKeyringJson(): string {
  return serialise(newKeyring());
}
