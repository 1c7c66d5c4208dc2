import type { FastifyReply, FastifyRequest } from 'fastify';
import { closed, freeText, oneOf, sourceOf, Type, type App } from '../../http/index.ts';
import { PERSON_COOKIE, personOf, personTokenOf, requirePerson } from '../http.ts';
import { authenticationCredential } from '../../identity/index.ts';
import { merchantsError } from '../errors.ts';
import type { MerchantsDeps } from '../merchants.ts';
import { MERCHANT_ACCESS, MERCHANT_ROLES, mayDo, type MerchantAction } from './access.ts';
import { confirmAcceptance, inviteIn, listTeam, revokeInvitation } from './invitations.ts';
import { startAcceptance } from './invitations.ts';
import { passkeyRoutes, type Person } from './passkey-routes.ts';
import {
  personLogin,
  personLogout,
  removePerson,
  resolvePersonSession,
  type SignedIn,
} from './people.ts';

// The dashboard's front door and its team page. Sign-in takes email, password and a second
// factor in one request (a TOTP code, or a recovery code in its place) and answers with a
// session cookie only: the dashboard never holds a token script can read. Team routes name
// the action they need; MERCHANT_ACCESS decides which roles may do it.

const code = Type.String({ pattern: '^[0-9]{6,8}$' });
const recovery = Type.String({ minLength: 8, maxLength: 40 });
const password = Type.String({ minLength: 1, maxLength: 1024 });
const token = Type.String({ pattern: '^kmi_[A-Za-z0-9_-]{32,64}$' });
const email = freeText(254, 3);

function setCookie(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  const age = Math.max(0, Math.floor(maxAgeSeconds));
  void reply.header(
    'set-cookie',
    `${PERSON_COOKIE}=${value}; Path=/; Max-Age=${age}; HttpOnly; Secure; SameSite=Strict`,
  );
}

function signedInView(deps: MerchantsDeps, reply: FastifyReply, s: SignedIn) {
  setCookie(reply, s.token, deps.kit.limits.sessionAbsoluteSecondsMax);
  return personView(s.session, s.expiresAt);
}

/** The person, and what their role may do (the dashboard shows only those pages). */
function personView(
  s: SignedIn['session'],
  expiresAt?: Date,
): Record<string, string | string[] | null> {
  const actions = Object.keys(MERCHANT_ACCESS) as MerchantAction[];
  return {
    person_id: s.personId,
    merchant_id: s.merchantId,
    email: s.email,
    role: s.role,
    store_ids: s.storeIds,
    may: actions.filter((a) => mayDo(s.role, a)),
    ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}),
  };
}

export function teamRoutes(app: App, deps: MerchantsDeps): void {
  const person = (action: MerchantAction) => {
    const check = requirePerson(deps, action);
    return async (req: FastifyRequest) => {
      await check(req);
    };
  };
  signInRoutes(app, deps, person);
  passkeyRoutes(app, deps, person);
  invitationRoutes(app, deps);
  teamAdminRoutes(app, deps, person);
}

function signInRoutes(app: App, deps: MerchantsDeps, person: Person): void {
  app.post(
    '/v1/dashboard/login',
    {
      schema: {
        summary: 'Dashboard sign-in: email, password and a second factor, always together',
        description:
          'Send `totp_code`, or a `passkey` assertion (the credential JSON from ' +
          '`navigator.credentials.get()` with the options of ' +
          '`POST /v1/dashboard/login/passkey-options`), or one unused `recovery_code`; one ' +
          'of them is required. Answers with the session cookie `__Host-kinko_merchant` ' +
          'only. A wrong email, password, code or passkey answers 401 ' +
          'person_credentials_invalid (which is not said); ten failures lock the account ' +
          '(401 person_locked, retry_after_seconds).',
        body: Type.Union([
          closed({ email, password, totp_code: code }),
          closed({ email, password, passkey: authenticationCredential }),
          closed({ email, password, recovery_code: recovery }),
        ]),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const input = {
        email: b.email,
        password: b.password,
        totpCode: 'totp_code' in b ? b.totp_code : undefined,
        recoveryCode: 'recovery_code' in b ? b.recovery_code : undefined,
        passkey: 'passkey' in b ? b.passkey : undefined,
      };
      return signedInView(deps, reply, await personLogin(deps, input, sourceOf(req)));
    },
  );
  app.post(
    '/v1/dashboard/logout',
    { schema: { body: Type.Optional(closed({})) }, preHandler: person('team.self') },
    async (req, reply) => {
      await personLogout(deps, personOf(req), sourceOf(req));
      setCookie(reply, '', 0);
      return { signed_out: true };
    },
  );
  // Being signed out is the normal state of a fresh visit, not an error: the page load asks
  // here and gets 200 either way (a browser logs every 4xx as a console error).
  app.get(
    '/v1/dashboard/session/state',
    { schema: { summary: 'Whether this browser is signed in to the dashboard (200 either way)' } },
    async (req) => {
      try {
        const s = await resolvePersonSession(deps, personTokenOf(req));
        return { signed_in: true, ...personView(s) };
      } catch (err) {
        if (merchantsError.is(err, 'person_session_missing', 'person_session_expired')) {
          return { signed_in: false };
        }
        throw err;
      }
    },
  );
  app.get(
    '/v1/dashboard/me',
    { schema: { summary: 'The signed-in person' }, preHandler: person('team.self') },
    async (req) => personView(personOf(req)),
  );
}

function invitationRoutes(app: App, deps: MerchantsDeps): void {
  app.post(
    '/v1/dashboard/invitation/start',
    {
      schema: {
        summary: 'Accept an invitation, step 1: choose a password; get an authenticator secret',
        description:
          'The token is the part of the invitation link after `#/invite/`. Answers the ' +
          'TOTP secret to enrol in an authenticator app; nothing signs in until step 2.',
        body: closed({ token, password }),
      },
    },
    async (req) => {
      const r = await startAcceptance(deps, req.body.token, req.body.password);
      return {
        email: r.email,
        role: r.role,
        totp_secret: r.totpSecret,
        otpauth_uri: r.otpauthUri,
      };
    },
  );
  app.post(
    '/v1/dashboard/invitation/confirm',
    {
      schema: {
        summary: 'Accept an invitation, step 2: a code from the authenticator; signs in',
        description:
          'Creates the account with both factors and answers its recovery codes, shown ' +
          'this once, with the session cookie.',
        body: closed({ token, totp_code: code }),
      },
    },
    async (req, reply) => {
      const r = await confirmAcceptance(deps, req.body.token, req.body.totp_code, sourceOf(req));
      return { ...signedInView(deps, reply, r), recovery_codes: r.recoveryCodes };
    },
  );
}

function teamAdminRoutes(app: App, deps: MerchantsDeps, person: Person): void {
  app.get(
    '/v1/team',
    {
      schema: { summary: "The merchant's people and open invitations" },
      preHandler: person('team.read'),
    },
    async (req) => listTeam(deps, personOf(req).merchantId),
  );
  app.post(
    '/v1/team/invitations',
    {
      schema: {
        summary: 'Invite a person by email (the link goes by email and expires)',
        body: closed({
          email,
          role: oneOf(MERCHANT_ROLES.filter((r) => r !== 'owner')),
          store_ids: Type.Optional(Type.Array(Type.String({ maxLength: 80 }), { maxItems: 100 })),
        }),
      },
      preValidation: person('team.invite'),
    },
    async (req, reply) => {
      const by = personOf(req);
      const input = {
        merchantId: by.merchantId,
        email: req.body.email,
        role: req.body.role,
        storeIds: req.body.store_ids,
      };
      const r = await deps.sql.begin((tx) => inviteIn(deps, tx, by, input, sourceOf(req)));
      return reply.status(201).send(r.invitation);
    },
  );
  const params = { params: closed({ id: Type.String({ minLength: 1, maxLength: 80 }) }) };
  app.post(
    '/v1/team/invitations/:id/revoke',
    {
      schema: { ...params, body: Type.Optional(closed({})) },
      preValidation: person('team.invite'),
    },
    async (req) => {
      await revokeInvitation(deps, personOf(req), req.params.id, sourceOf(req));
      return { revoked: true };
    },
  );
  app.post(
    '/v1/team/people/:id/remove',
    {
      schema: {
        summary: 'Remove a person; every session they hold ends at once',
        ...params,
        body: Type.Optional(closed({})),
      },
      preValidation: person('team.remove'),
    },
    async (req) => {
      const r = await removePerson(deps, personOf(req), req.params.id, sourceOf(req));
      return { removed: true, sessions_ended: r.sessionsEnded };
    },
  );
}
