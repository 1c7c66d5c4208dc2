import type { FastifyRequest } from 'fastify';
import { closed, freeText, sourceOf, Type, type App } from '../../http/index.ts';
import { registrationCredential } from '../../identity/index.ts';
import { personOf } from '../http.ts';
import type { MerchantsDeps } from '../merchants.ts';
import type { MerchantAction } from './access.ts';
import {
  addPasskey,
  listPasskeys,
  passkeyLoginOptions,
  passkeyRegistrationOptions,
  removePasskey,
} from './passkeys.ts';

// A merchant person's passkeys over HTTP: options for sign-in (no session: bound to no one),
// and for the signed-in person, the list, options to add one, adding and removing — each of
// the last two with a current TOTP code.

/** A preHandler that admits a signed-in person whose role may do the action. */
export type Person = (action: MerchantAction) => (req: FastifyRequest) => Promise<void>;

const code = Type.String({ pattern: '^[0-9]{6,8}$' });
const credentialId = Type.String({ minLength: 1, maxLength: 1024 });

export function passkeyRoutes(app: App, deps: MerchantsDeps, person: Person): void {
  app.post(
    '/v1/dashboard/login/passkey-options',
    {
      schema: {
        summary: 'Options for a passkey second factor at sign-in (WebAuthn request options)',
        description:
          'Hand the answer to `navigator.credentials.get({ publicKey })` (after decoding, or ' +
          'with `PublicKeyCredential.parseRequestOptionsFromJSON`), then send the credential ' +
          'as `passkey` to `POST /v1/dashboard/login`. The options name no account; the ' +
          'challenge is good once, for a few minutes.',
        body: Type.Optional(closed({})),
      },
    },
    async () => passkeyLoginOptions(deps),
  );
  app.get(
    '/v1/dashboard/passkeys',
    { schema: { summary: 'Your passkeys' }, preHandler: person('team.self') },
    async (req) => ({ object: 'list', data: await listPasskeys(deps, personOf(req)) }),
  );
  app.post(
    '/v1/dashboard/passkeys/options',
    {
      schema: {
        summary: 'Options to add a passkey (WebAuthn creation options)',
        body: Type.Optional(closed({})),
      },
      preValidation: person('team.self'),
    },
    async (req) => passkeyRegistrationOptions(deps, personOf(req)),
  );
  app.post(
    '/v1/dashboard/passkeys',
    {
      schema: {
        summary: 'Add a passkey: the credential from navigator.credentials.create(), a TOTP code',
        description:
          'A current authenticator code is required as well as the session; a wrong one ' +
          'answers 400 totp_code_invalid and counts toward the account lock.',
        body: closed({ credential: registrationCredential, totp_code: code, name: freeText(64) }),
      },
      preValidation: person('team.self'),
    },
    async (req, reply) => {
      const input = {
        credential: req.body.credential,
        totpCode: req.body.totp_code,
        name: req.body.name,
      };
      return reply.status(201).send(await addPasskey(deps, personOf(req), input, sourceOf(req)));
    },
  );
  app.post(
    '/v1/dashboard/passkeys/:credential_id/remove',
    {
      schema: {
        summary: 'Remove one of your passkeys (with a current TOTP code)',
        params: closed({ credential_id: credentialId }),
        body: closed({ totp_code: code }),
      },
      preValidation: person('team.self'),
    },
    async (req) => {
      const input = { credentialId: req.params.credential_id, totpCode: req.body.totp_code };
      return removePasskey(deps, personOf(req), input, sourceOf(req));
    },
  );
}
