import { isUuid, uuidv7 } from '../lib/ids.ts';
import {
  at,
  commitThenThrow,
  customerEntry,
  refuse,
  send,
  type Deps,
  type Source,
} from './context.ts';
import { normalizeEmail, normalizePhone, parseIdentifier } from './contacts.ts';
import { jwkThumbprint, parseDeviceJwk } from './device-key.ts';
import { authorize } from './guard.ts';
import { attemptFailed, attemptSucceeded, identifierHash, reserveAttempt } from './login-guard.ts';
import * as messages from './messages.ts';
import { numericCode, sameHash, sha256 } from './secrets.ts';
import { issueSession, type CustomerSession, type IssuedSession } from './sessions.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';

// Customer sign-up and sign-in. Both answer the same way, in about the same time, whether
// or not an account exists (OWASP ASVS 5.0 6.3.8): sign-up always hashes the password and
// always returns a sign-up id; sign-in always runs argon2, against a dummy hash if need be.

export interface SignupInput {
  email: string;
  phone: string;
  password: string;
}

export async function startSignup(
  deps: Deps,
  input: SignupInput,
  source: Source,
): Promise<{ signupId: string; expiresAt: Date }> {
  deps.switches.refuse({ operation: 'sign_up', source: source.ip });
  const email = normalizeEmail(input.email);
  if (!email) throw identityError('email_invalid', { param: 'email' });
  const phone = normalizePhone(input.phone);
  if (!phone) throw identityError('phone_invalid', { param: 'phone' });
  await deps.passwords.check(input.password, deps.limits.passwordCharsMin);
  const passwordHash = await deps.passwords.hash(input.password);
  const emailCode = numericCode(deps.limits.codeDigits);
  const phoneCode = numericCode(deps.limits.codeDigits);
  const signupId = uuidv7(deps.clock.nowMs());
  const expiresAt = at(deps, deps.limits.codeSecondsMax);
  const minutes = Math.floor(deps.limits.codeSecondsMax / 60);
  await deps.sql.begin(async (tx) => {
    const conflict = await store.contactsInUse(tx, email, phone);
    await store.insertSignup(tx, {
      id: signupId,
      email,
      phone,
      password_hash: passwordHash,
      email_code_hash: sha256(emailCode),
      phone_code_hash: sha256(phoneCode),
      conflict,
      expires_at: expiresAt,
      created_at: at(deps),
    });
    // A taken address gets a notice instead of a code: the owner learns of the attempt,
    // the caller learns nothing, and the decoy sign-up can never complete.
    await send(
      deps,
      tx,
      conflict
        ? [messages.signupAttemptNotice('email', email), messages.signupAttemptNotice('sms', phone)]
        : [
            messages.signupCode('email', email, emailCode, minutes),
            messages.signupCode('sms', phone, phoneCode, minutes),
          ],
    );
    await deps.audit.append(tx, [
      customerEntry('identity.signup.started', null, source, 'success', { signup_id: signupId }),
    ]);
  });
  return { signupId, expiresAt };
}

export interface SignupVerifyInput {
  signupId: string;
  emailCode: string;
  phoneCode: string;
  device: { name: string; publicKey: Record<string, unknown> };
}

/** Completes a sign-up with both codes; the device that signed up is its first device. */
export async function completeSignup(
  deps: Deps,
  input: SignupVerifyInput,
  source: Source,
): Promise<IssuedSession & { customerId: string; deviceId: string }> {
  deps.switches.refuse({ operation: 'sign_up', source: source.ip });
  const { jwk } = parseDeviceJwk(input.device.publicKey);
  const invalid = () => refuse('verification_code_invalid');
  return commitThenThrow(deps, async (tx) => {
    const s = isUuid(input.signupId) ? await store.lockSignup(tx, input.signupId) : undefined;
    if (!s || s.completed_at || s.attempts >= deps.limits.codeAttemptsMax) return invalid();
    const fresh = s.expires_at.getTime() > deps.clock.nowMs();
    const ok =
      sameHash(sha256(input.emailCode), s.email_code_hash) &&
      sameHash(sha256(input.phoneCode), s.phone_code_hash);
    if (!fresh || !ok || s.conflict) {
      await store.signupAttempted(tx, s.id, null);
      await deps.audit.append(tx, [
        customerEntry('identity.signup.verify_failed', null, source, 'failure', {
          signup_id: s.id,
        }),
      ]);
      return invalid();
    }
    const customerId = uuidv7(deps.clock.nowMs());
    const now = at(deps);
    const created = await store.insertCustomer(tx, {
      id: customerId,
      email: s.email,
      phone: s.phone,
      passwordHash: s.password_hash,
      now,
    });
    await store.signupAttempted(tx, s.id, now);
    // Both codes were proven, so naming the conflict here tells nothing to a stranger.
    if (!created) return refuse('contact_taken');
    const deviceId = uuidv7(deps.clock.nowMs());
    await store.insertDevice(tx, {
      id: deviceId,
      customer_id: customerId,
      name: input.device.name,
      public_key: jwk,
      key_thumbprint: jwkThumbprint(jwk),
      status: 'confirmed',
      confirm_code_hash: null,
      confirm_expires_at: null,
      confirmed_by: 'signup_codes',
      created_at: now,
      confirmed_at: now,
    });
    const session = await issueSession(deps, tx, {
      customerId,
      deviceId,
      strongAuthFactor: null,
      source,
    });
    await deps.audit.append(tx, [
      customerEntry('identity.signup.completed', customerId, source, 'success', {
        device_id: deviceId,
      }),
    ]);
    return { ...session, customerId, deviceId };
  });
}

export interface LoginInput {
  identifier: string;
  password: string;
  /** The session token the client held before, if any: sign-in replaces it. */
  previousToken?: string | undefined;
}

export async function login(
  deps: Deps,
  input: LoginInput,
  source: Source,
): Promise<IssuedSession & { customerId: string }> {
  deps.switches.refuse({ operation: 'login', source: source.ip });
  const ident = parseIdentifier(input.identifier);
  const idHash = identifierHash('customer', ident?.value ?? input.identifier.trim().toLowerCase());
  const reservation = await reserveAttempt(deps, 'customer', source, idHash);
  const found = ident
    ? await store.customerByContact(deps.sql, ident.kind, ident.value)
    : undefined;
  // A deleted account answers exactly like an unknown one.
  const customer = found?.status === 'deleted' ? undefined : found;
  const ok = await deps.passwords.verify(customer?.password_hash ?? undefined, input.password);
  return commitThenThrow(deps, async (tx) => {
    if (!ok || !customer) {
      const extra = await attemptFailed(deps, tx, reservation, source, customer?.id ?? null);
      await deps.audit.append(tx, [
        customerEntry('identity.login.failed', customer?.id ?? null, source, 'failure'),
        ...extra,
      ]);
      return refuse('credentials_invalid');
    }
    if (customer.status === 'frozen') {
      await attemptSucceeded(deps, tx, reservation, 'release');
      await deps.audit.append(tx, [
        customerEntry('identity.login.frozen', customer.id, source, 'denied'),
      ]);
      return refuse('account_frozen');
    }
    await attemptSucceeded(deps, tx, reservation, 'clear');
    if (input.previousToken) {
      const previous = await store.sessionByTokenHash(tx, sha256(input.previousToken));
      if (previous) await store.revokeSession(tx, previous.id, at(deps), 'rotated');
    }
    const session = await issueSession(deps, tx, {
      customerId: customer.id,
      deviceId: null,
      strongAuthFactor: null,
      source,
    });
    await deps.audit.append(tx, [
      customerEntry('identity.login.succeeded', customer.id, source, 'success', {
        session_id: session.sessionId,
      }),
    ]);
    return { ...session, customerId: customer.id };
  });
}

/**
 * Signs this session out, or every session of the account. Everywhere is a sensitive action
 * (policy.ts): from a password-only session on a new device it would let a thief sign the
 * owner out again and again, so it needs the bound device and recent strong authentication.
 */
export async function logout(
  deps: Deps,
  session: CustomerSession,
  source: Source,
  everywhere: boolean,
): Promise<number> {
  const { id: sessionId, customerId } = session;
  if (everywhere) await authorize(deps, session, 'sign_out_everywhere');
  return deps.sql.begin(async (tx) => {
    const n = everywhere
      ? await store.revokeCustomerSessions(tx, customerId, at(deps), 'sign_out_everywhere')
      : (await store.revokeSession(tx, sessionId, at(deps), 'sign_out'), 1);
    const action = everywhere ? 'identity.logout.everywhere' : 'identity.logout';
    await deps.audit.append(tx, [
      customerEntry(action, customerId, source, 'success', { sessions: n }),
    ]);
    return n;
  });
}
