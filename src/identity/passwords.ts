import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import type { IdentityLimits } from '../config.ts';
import { KinkoError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { identityError } from './errors.ts';

// Passwords (NIST SP 800-63B §3.1.1.2): a length rule and nothing else about composition,
// refused when common or known from breaches, stored as argon2id. Unknown accounts are
// answered only after hashing the attempt against a dummy hash, so that an unknown email
// costs the same time as a wrong password (OWASP ASVS 5.0 6.3.8).

/**
 * A k-anonymity range lookup in the style of Have I Been Pwned: given the first five hex
 * characters of the password's upper-case SHA-1, answer the matching suffixes as lines
 * "SUFFIX:COUNT". Only the prefix ever leaves the process.
 */
export interface BreachedRangeLookup {
  range(sha1Prefix: string): Promise<string>;
}

// The package declares Algorithm as a const enum, which has no runtime object: 2 is argon2id.
const ARGON2ID = 2 as Algorithm;

let common: Set<string> | undefined;

/** The shipped list of common and breached passwords (src/identity/common-passwords.txt). */
function commonPasswords(): Set<string> {
  if (!common) {
    const file = new URL('./common-passwords.txt', import.meta.url);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    common = new Set(lines.filter((l) => l && !l.startsWith('#')));
  }
  return common;
}

async function breachedByRange(password: string, lookup: BreachedRangeLookup): Promise<boolean> {
  const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  const body = await lookup.range(sha1.slice(0, 5));
  const suffix = sha1.slice(5);
  return body.split(/\r?\n/).some((line) => {
    const [s, count] = line.trim().split(':');
    return s?.toUpperCase() === suffix && Number(count ?? '1') > 0;
  });
}

export interface Passwords {
  /** Throws password_too_short, password_too_long or password_common. */
  check(password: string, charsMin: number): Promise<void>;
  hash(password: string): Promise<string>;
  /** Verifies against the stored hash, or against a dummy hash when there is none. */
  verify(stored: string | undefined, password: string): Promise<boolean>;
}

export function createPasswords(
  limits: IdentityLimits,
  log: Logger,
  breached?: BreachedRangeLookup,
): Passwords {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: limits.argon2MemoryKib,
    timeCost: limits.argon2Passes,
    parallelism: limits.argon2Lanes,
  };
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= hash('kinko-dummy-password-for-timing', options));
  return {
    async check(password, charsMin) {
      const chars = [...password].length;
      if (chars < charsMin) throw identityError('password_too_short', { param: 'password' });
      if (chars > limits.passwordCharsMax) {
        throw identityError('password_too_long', { param: 'password' });
      }
      if (commonPasswords().has(password.toLowerCase())) {
        throw identityError('password_common', { param: 'password' });
      }
      if (!breached) return;
      try {
        if (await breachedByRange(password, breached)) {
          throw identityError('password_common', { param: 'password' });
        }
      } catch (error) {
        if (error instanceof KinkoError) throw error;
        // The breach service being down must not stop sign-ups; the shipped list still ran.
        log.warn({ err: error }, 'breached-password range lookup failed');
      }
    },
    hash: (password) => hash(password, options),
    async verify(stored, password) {
      const target = stored ?? (await dummyHash());
      const ok = await verify(target, password).catch(() => false);
      return stored !== undefined && ok;
    },
  };
}
