import type { FastifyReply } from 'fastify';
import { closed, freeText, oneOf, sourceOf, Type, type App } from '../http/index.ts';
import * as account from './account.ts';
import type { Deps } from './context.ts';
import * as customers from './customers.ts';
import * as devices from './devices.ts';
import * as factors from './factors.ts';
import { DEVICE_PROOF_HEADER } from './guard.ts';
import {
  clearSessionCookie,
  customerOf,
  customerPreHandler,
  setSessionCookie,
  tokenOf,
} from './http.ts';
import * as recovery from './recovery.ts';
import * as s from './schemas.ts';
import type { IssuedSession } from './sessions.ts';
import { authenticationOptions, registrationOptions } from './webauthn.ts';
import { identityError } from './errors.ts';

// Customer routes under /v1/identity: thin handlers — validate (schema), one call, map.

function sessionReply(
  deps: Deps,
  reply: FastifyReply,
  issued: IssuedSession,
  extra: Record<string, unknown> = {},
) {
  const seconds = (issued.expiresAt.getTime() - deps.clock.nowMs()) / 1000;
  setSessionCookie(reply, 'customer', issued.token, seconds);
  return { ...extra, session_token: issued.token, expires_at: issued.expiresAt.toISOString() };
}

function answerOf(b: s.Answer) {
  return { totpCode: b.totp_code, passkey: b.passkey };
}

export function customerRoutes(app: App, deps: Deps): void {
  signupRoutes(app, deps);
  sessionRoutes(app, deps);
  deviceRoutes(app, deps);
  deviceProofRoutes(app, deps);
  factorRoutes(app, deps);
  accountRoutes(app, deps);
  recoveryRoutes(app, deps);
  recoveryEndRoutes(app, deps);
}

function signupRoutes(app: App, deps: Deps): void {
  // An address holding a card number is refused by name (card_data_not_allowed): it would be
  // stored and sent, and the card-number guards would stop it later with a 500.
  const email = freeText(254, 1);
  const body = closed({ email, phone: s.str(32), password: s.password });
  app.post(
    '/v1/identity/signup',
    { schema: { summary: 'Start a sign-up', body } },
    async (req, reply) => {
      const r = await customers.startSignup(deps, req.body, sourceOf(req));
      return reply
        .status(202)
        .send({ signup_id: r.signupId, expires_at: r.expiresAt.toISOString() });
    },
  );
  // A device's name is stored and repeated in the code message: no card number either.
  const device = closed({ name: freeText(64, 1), public_key: s.deviceKey });
  const verify = closed({
    signup_id: s.str(64),
    email_code: s.code(),
    phone_code: s.code(),
    device,
  });
  app.post(
    '/v1/identity/signup/verify',
    { schema: { summary: 'Finish a sign-up', body: verify } },
    async (req, reply) => {
      const b = req.body;
      const r = await customers.completeSignup(
        deps,
        {
          signupId: b.signup_id,
          emailCode: b.email_code,
          phoneCode: b.phone_code,
          device: { name: b.device.name, publicKey: b.device.public_key },
        },
        sourceOf(req),
      );
      return reply
        .status(201)
        .send(sessionReply(deps, reply, r, { customer_id: r.customerId, device_id: r.deviceId }));
    },
  );
}

function sessionRoutes(app: App, deps: Deps): void {
  const auth = customerPreHandler(deps);
  const login = closed({ identifier: s.str(254), password: s.password });
  app.post(
    '/v1/identity/login',
    { schema: { summary: 'Sign in', body: login } },
    async (req, reply) => {
      const r = await customers.login(
        deps,
        { ...req.body, previousToken: tokenOf(req, 'customer') },
        sourceOf(req),
      );
      return sessionReply(deps, reply, r, { customer_id: r.customerId });
    },
  );
  for (const [url, everywhere] of [
    ['/v1/identity/logout', false],
    ['/v1/identity/logout-everywhere', true],
  ] as const) {
    const description = everywhere
      ? 'Ends every session of the account. A sensitive action: it needs a session bound to a ' +
        'confirmed device (device_required) and, once a second factor is enrolled, a recent ' +
        'step-up (step_up_required).'
      : 'Ends this session.';
    app.post(
      url,
      { schema: { body: s.empty, description }, preHandler: auth },
      async (req, reply) => {
        const n = await customers.logout(deps, customerOf(req), sourceOf(req), everywhere);
        clearSessionCookie(reply, 'customer');
        return { sessions_revoked: n };
      },
    );
  }
  app.get('/v1/identity/session', { preHandler: auth }, async (req) =>
    account.accountSummary(deps, customerOf(req)),
  );
  app.post(
    '/v1/identity/step-up/passkey/options',
    { schema: { body: s.empty }, preHandler: auth },
    async (req) => authenticationOptions(deps, customerOf(req).customerId),
  );
  app.post(
    '/v1/identity/step-up',
    {
      schema: { summary: 'Prove a second factor again', body: s.answer },
      preHandler: auth,
    },
    async (req, reply) => {
      const r = await factors.stepUp(deps, customerOf(req), answerOf(req.body), sourceOf(req));
      return sessionReply(deps, reply, r, { factor: r.factor });
    },
  );
}

function deviceRoutes(app: App, deps: Deps): void {
  const auth = customerPreHandler(deps);
  const add = closed({ name: freeText(64, 1), public_key: s.deviceKey });
  app.post(
    '/v1/identity/devices',
    { schema: { summary: 'Register a new device', body: add }, preHandler: auth },
    async (req, reply) => {
      const r = await devices.registerDevice(
        deps,
        customerOf(req),
        { name: req.body.name, publicKey: req.body.public_key },
        sourceOf(req),
      );
      return reply.status(202).send({
        device_id: r.deviceId,
        status: 'pending',
        code_expires_at: r.expiresAt.toISOString(),
        confirm_with: ['phone_code', 'totp_code', 'passkey'],
      });
    },
  );
  app.get('/v1/identity/devices', { preHandler: auth }, async (req) => ({
    devices: await devices.listDevices(deps, customerOf(req)),
  }));
  const confirm = s.factorAnswer({ phone_code: Type.Optional(s.code()) });
  app.post(
    '/v1/identity/devices/:id/confirm',
    {
      schema: {
        summary: 'Confirm a new device with the text-message code, TOTP or a passkey',
        description:
          'Decided by the risk engine once the code checks out. Refused: 403 ' +
          '`device_confirm_blocked`, or 403 `device_confirm_factor_required` (a text-message ' +
          'code is not enough: confirm with the authenticator or a passkey); `reason` says ' +
          'why in plain words. The device stays pending.',
        body: confirm,
        params: s.idParams,
      },
      preHandler: auth,
    },
    async (req) => {
      await devices.confirmDevice(
        deps,
        customerOf(req),
        req.params.id,
        { ...answerOf(req.body), phoneCode: req.body.phone_code },
        sourceOf(req),
      );
      return { device_id: req.params.id, status: 'confirmed' };
    },
  );
  app.delete(
    '/v1/identity/devices/:id',
    {
      schema: {
        summary: 'Remove a device; the sessions bound to it end (needs a recent step-up)',
        params: s.idParams,
      },
      preHandler: auth,
    },
    async (req) => {
      const r = await devices.removeDevice(deps, customerOf(req), req.params.id, sourceOf(req));
      return { device_id: req.params.id, status: 'removed', sessions_revoked: r.sessionsRevoked };
    },
  );
}

function deviceProofRoutes(app: App, deps: Deps): void {
  const auth = customerPreHandler(deps);
  const challenge = closed({ device_id: s.str(64), action: s.deviceAction });
  app.post(
    '/v1/identity/devices/challenge',
    { schema: { body: challenge }, preHandler: auth },
    async (req) => {
      const r = await devices.deviceChallenge(
        deps,
        customerOf(req),
        req.body.device_id,
        req.body.action,
      );
      return {
        challenge: r.challenge,
        expires_at: r.expiresAt.toISOString(),
        header: DEVICE_PROOF_HEADER,
      };
    },
  );
  app.post(
    '/v1/identity/session/device',
    { schema: { summary: 'Bind this session to a device', body: s.empty }, preHandler: auth },
    async (req) => {
      const proof = req.headers[DEVICE_PROOF_HEADER];
      const deviceId = await devices.bindDevice(
        deps,
        customerOf(req),
        typeof proof === 'string' ? proof : undefined,
        sourceOf(req),
      );
      return { device_id: deviceId };
    },
  );
}

const ENROLMENT_COUNTS =
  'Enrolling proves the new factor, so this session (same token) counts as strongly ' +
  'authenticated, as after a step-up, for the step-up window. Once any factor is enrolled, ' +
  'enrolling another needs a recent step-up first (step_up_required).';

function factorRoutes(app: App, deps: Deps): void {
  const auth = customerPreHandler(deps);
  app.post(
    '/v1/identity/factors/totp',
    { schema: { body: s.empty }, preHandler: auth },
    async (req) => {
      const summary = await account.accountSummary(deps, customerOf(req));
      const r = await factors.startTotp(deps, customerOf(req), summary.email);
      return { secret: r.secret, otpauth_uri: r.otpauthUri };
    },
  );
  app.post(
    '/v1/identity/factors/totp/confirm',
    {
      schema: { body: closed({ code: s.code() }), description: ENROLMENT_COUNTS },
      preHandler: auth,
    },
    async (req) => {
      const r = await factors.confirmTotp(deps, customerOf(req), req.body.code, sourceOf(req));
      return { enrolled: 'totp', recovery_codes: r.recoveryCodes };
    },
  );
  app.post(
    '/v1/identity/factors/passkey/options',
    { schema: { body: s.empty }, preHandler: auth },
    async (req) => {
      const summary = await account.accountSummary(deps, customerOf(req));
      return registrationOptions(deps, { id: summary.customer_id, email: summary.email });
    },
  );
  const passkey = closed({ credential: s.registrationCredential });
  app.post(
    '/v1/identity/factors/passkey',
    { schema: { body: passkey, description: ENROLMENT_COUNTS }, preHandler: auth },
    async (req) => {
      const r = await factors.addPasskey(deps, customerOf(req), req.body.credential, sourceOf(req));
      return { enrolled: 'passkey', recovery_codes: r.recoveryCodes };
    },
  );
  app.post(
    '/v1/identity/factors/recovery-codes',
    { schema: { body: s.empty }, preHandler: auth },
    async (req) => ({
      recovery_codes: await factors.regenerateRecoveryCodes(deps, customerOf(req), sourceOf(req)),
    }),
  );
}

function accountRoutes(app: App, deps: Deps): void {
  const auth = customerPreHandler(deps);
  const pw = closed({ current_password: s.password, new_password: s.password });
  app.post('/v1/identity/password', { schema: { body: pw }, preHandler: auth }, async (req) => {
    await account.changePassword(
      deps,
      customerOf(req),
      { currentPassword: req.body.current_password, newPassword: req.body.new_password },
      sourceOf(req),
    );
    return { changed: true };
  });
  const contact = closed({ channel: oneOf(['email', 'phone']), value: freeText(254, 1) });
  app.post(
    '/v1/identity/contacts',
    { schema: { body: contact }, preHandler: auth },
    async (req, reply) => {
      const r = await account.startContactChange(deps, customerOf(req), req.body, sourceOf(req));
      return reply
        .status(202)
        .send({ change_id: r.changeId, expires_at: r.expiresAt.toISOString() });
    },
  );
  const confirm = closed({ change_id: s.str(64), code: s.code() });
  app.post(
    '/v1/identity/contacts/confirm',
    { schema: { body: confirm }, preHandler: auth },
    async (req) => {
      await account.confirmContactChange(
        deps,
        customerOf(req),
        { changeId: req.body.change_id, code: req.body.code },
        sourceOf(req),
      );
      return { changed: true };
    },
  );
}

function recoveryRoutes(app: App, deps: Deps): void {
  const start = closed({ identifier: s.str(254) });
  app.post(
    '/v1/identity/recovery',
    {
      schema: {
        summary: 'Start account recovery (codes go only to verified contacts)',
        body: start,
      },
    },
    async (req, reply) => {
      const r = await recovery.startRecovery(deps, req.body.identifier, sourceOf(req));
      return reply
        .status(202)
        .send({ recovery_id: r.recoveryId, expires_at: r.expiresAt.toISOString() });
    },
  );
  const verify = closed({ recovery_id: s.str(64), code: s.code() });
  app.post('/v1/identity/recovery/verify', { schema: { body: verify } }, async (req) =>
    recovery.verifyRecoveryEmail(deps, req.body.recovery_id, req.body.code, sourceOf(req)),
  );
  app.post(
    '/v1/identity/recovery/passkey/options',
    { schema: { body: closed({ recovery_id: s.str(64) }) } },
    async (req) => {
      const customerId = await recovery.recoveryCustomer(deps, req.body.recovery_id);
      if (!customerId) throw identityError('verification_code_invalid');
      return authenticationOptions(deps, customerId);
    },
  );
}

function recoveryEndRoutes(app: App, deps: Deps): void {
  const complete = s.factorAnswer({
    recovery_id: s.str(64),
    new_password: s.password,
    phone_code: Type.Optional(s.code()),
    recovery_code: Type.Optional(s.str(64)),
  });
  app.post('/v1/identity/recovery/complete', { schema: { body: complete } }, async (req, reply) => {
    const b = req.body;
    const r = await recovery.completeRecovery(
      deps,
      {
        ...answerOf(b),
        recoveryId: b.recovery_id,
        newPassword: b.new_password,
        phoneCode: b.phone_code,
        recoveryCode: b.recovery_code,
      },
      sourceOf(req),
    );
    return sessionReply(deps, reply, r, {
      money_hold_until: r.moneyHoldUntil?.toISOString() ?? null,
    });
  });
  app.post(
    '/v1/identity/freeze',
    {
      schema: {
        summary: 'This was not me: freeze the account',
        body: closed({ token: s.str(128) }),
      },
    },
    async (req) => {
      await recovery.freezeByLink(deps, req.body.token, sourceOf(req));
      return { frozen: true };
    },
  );
}
