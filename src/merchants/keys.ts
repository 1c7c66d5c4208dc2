import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Credentials, pure: their formats, generation and hashing.
//
// A secret key is `sk_<mode>_` + 43 base64url characters (32 random bytes = 256 bits); a
// restricted key is the same with `rk_`; a terminal secret `tk_`; a publishable key `pk_<mode>_`
// + 24 random bytes. Only SHA-256 hashes of secret, restricted and terminal keys are kept:
// with 256 random bits there is no dictionary to attack, so a slow password hash would only
// cost latency on every request.

export type KeyKind = 'secret' | 'restricted' | 'publishable';
export type KeyMode = 'live' | 'test';

/** Scopes a restricted key may be given. Standard secret keys hold every scope. */
export const SCOPES = [
  'payments:read',
  'payments:write',
  'refunds:write',
  'webhooks:read',
  'webhooks:write',
  'merchants:read',
  'merchants:write',
  'pages:read',
  'pages:write',
] as const;
export type Scope = (typeof SCOPES)[number];
/**
 * Key management (create, roll, revoke) is held by standard secret keys only, never by a
 * restricted key, so that a leaked restricted key cannot mint itself a stronger one.
 */
const KEYS_SCOPE = 'keys:write';
export type AccessScope = Scope | typeof KEYS_SCOPE;
export const ALL_SCOPES = '*';

const SECRET_BYTES = 32;
const PUBLISHABLE_BYTES = 24;
const DISPLAY_RANDOM_CHARS = 8;
const PREFIX: Record<KeyKind, string> = { secret: 'sk', restricted: 'rk', publishable: 'pk' };
const KEY_RE = /^(sk|rk|pk)_(live|test)_([A-Za-z0-9_-]{32,64})$/;
const TERMINAL_SECRET_RE = /^tk_[A-Za-z0-9_-]{43}$/;

interface IssuedKey {
  /** The whole key: shown once, never stored for secret and restricted keys. */
  value: string;
  displayPrefix: string;
  sha256: Buffer | null;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function issueKey(kind: KeyKind, mode: KeyMode): IssuedKey {
  const bytes = kind === 'publishable' ? PUBLISHABLE_BYTES : SECRET_BYTES;
  const head = `${PREFIX[kind]}_${mode}_`;
  const value = head + randomBytes(bytes).toString('base64url');
  return {
    value,
    displayPrefix: value.slice(0, head.length + DISPLAY_RANDOM_CHARS),
    sha256: kind === 'publishable' ? null : sha256(value),
  };
}

/** The kind and mode a key's text claims; undefined when it is not a key at all. */
export function parseKey(text: string): { kind: KeyKind; mode: KeyMode } | undefined {
  const m = KEY_RE.exec(text);
  if (!m) return undefined;
  const kind = m[1] === 'sk' ? 'secret' : m[1] === 'rk' ? 'restricted' : 'publishable';
  return { kind, mode: m[2] as KeyMode };
}

export function issueTerminalSecret(): IssuedKey {
  const value = `tk_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { value, displayPrefix: value.slice(0, 3 + DISPLAY_RANDOM_CHARS), sha256: sha256(value) };
}

/** Compares a presented terminal secret with the stored hash in constant time. */
export function terminalSecretMatches(presented: string, stored: Buffer): boolean {
  if (!TERMINAL_SECRET_RE.test(presented)) return false;
  return timingSafeEqual(sha256(presented), stored);
}

export function isScope(text: string): text is Scope {
  return (SCOPES as readonly string[]).includes(text);
}

/** Whether a key holding `held` may do what `needed` names. */
export function hasScope(held: readonly string[], needed: AccessScope): boolean {
  return held.includes(ALL_SCOPES) || held.includes(needed);
}

/** The Authorization header's bearer token, if any. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([^\s]+)$/.exec(header.trim());
  return m?.[1];
}
