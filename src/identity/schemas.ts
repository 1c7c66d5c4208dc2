import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { closed, constant, oneOf, Type, type Static, type TSchema } from '../http/index.ts';
import { SENSITIVE_ACTIONS } from './policy.ts';

// Schemas of identity's request bodies, on the HTTP kit (TypeBox): a route declares its body
// once and its handler's types follow. Every object is closed (additionalProperties: false):
// a recovery request with an "email" or "send_to" field is refused as unknown, which is how
// "there is no field for an address" is enforced.

export const str = (max: number, min = 1) => Type.String({ minLength: min, maxLength: max });
export const code = () => Type.String({ pattern: '^[0-9]{6,10}$' });

export const password = str(1024);
export const empty = closed({});
/** The params of a route on one identity record, `/…/:id`. */
export const idParams = closed({ id: str(64) });

export const deviceKey = closed({
  kty: constant('EC'),
  crv: constant('P-256'),
  x: str(64),
  y: str(64),
});

const b64url = str(16_384);
const attachment = Type.Optional(oneOf(['platform', 'cross-platform']));
// What the browser's WebAuthn API adds; checked by @simplewebauthn, not by shape here.
const extensionResults = Type.Unsafe<Record<string, unknown>>({ type: 'object' });

/**
 * A PublicKeyCredential from navigator.credentials.create(), as JSON. The schema is looser
 * than @simplewebauthn's type (transports are any short strings), which checks the rest, so
 * the handler sees the library's type.
 */
export const registrationCredential = Type.Unsafe<RegistrationResponseJSON>(
  closed({
    id: str(1024),
    rawId: str(1024),
    type: constant('public-key'),
    authenticatorAttachment: attachment,
    response: closed({
      clientDataJSON: b64url,
      attestationObject: b64url,
      authenticatorData: Type.Optional(b64url),
      publicKey: Type.Optional(b64url),
      publicKeyAlgorithm: Type.Optional(Type.Integer()),
      transports: Type.Optional(Type.Array(str(32), { maxItems: 8 })),
    }),
    clientExtensionResults: extensionResults,
  }),
);

/** A PublicKeyCredential from navigator.credentials.get(), as JSON (see above). */
export const authenticationCredential = Type.Unsafe<AuthenticationResponseJSON>(
  closed({
    id: str(1024),
    rawId: str(1024),
    type: constant('public-key'),
    authenticatorAttachment: attachment,
    response: closed({
      clientDataJSON: b64url,
      authenticatorData: b64url,
      signature: b64url,
      userHandle: Type.Optional(str(1024, 0)),
    }),
    clientExtensionResults: extensionResults,
  }),
);

const answerFields = {
  totp_code: Type.Optional(code()),
  passkey: Type.Optional(authenticationCredential),
};

/** One second-factor answer: exactly one of its members; `extra` adds the route's fields. */
export function factorAnswer<P extends Record<string, TSchema>>(extra: P) {
  return closed({ ...answerFields, ...extra });
}

export const answer = closed(answerFields);
export type Answer = Static<typeof answer>;

export const deviceAction = oneOf(['session_bind', ...SENSITIVE_ACTIONS]);
