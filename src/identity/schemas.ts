import { SENSITIVE_ACTIONS } from './policy.ts';

// JSON Schemas of identity's request bodies. Every object is closed (additionalProperties:
// false): a recovery request with an "email" or "send_to" field is refused as unknown, which
// is how "there is no field for an address" is enforced.

export type Schema = object;

export function closed(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const str = (max: number, min = 1): Schema => ({
  type: 'string',
  minLength: min,
  maxLength: max,
});
export const code = (): Schema => ({ type: 'string', pattern: '^[0-9]{6,10}$' });
export const uuid = (): Schema => ({ type: 'string', format: 'uuid' });

export const password = str(1024);
export const empty = closed({});

export const deviceKey = closed(
  { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: str(64), y: str(64) },
  ['kty', 'crv', 'x', 'y'],
);

const b64url = str(16_384);

/** A PublicKeyCredential from navigator.credentials.create(), as JSON. */
export const registrationCredential = closed(
  {
    id: str(1024),
    rawId: str(1024),
    type: { const: 'public-key' },
    authenticatorAttachment: { type: 'string', enum: ['platform', 'cross-platform'] },
    clientExtensionResults: { type: 'object' },
    response: closed(
      {
        clientDataJSON: b64url,
        attestationObject: b64url,
        authenticatorData: b64url,
        publicKey: b64url,
        publicKeyAlgorithm: { type: 'integer' },
        transports: { type: 'array', maxItems: 8, items: str(32) },
      },
      ['clientDataJSON', 'attestationObject'],
    ),
  },
  ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
);

/** A PublicKeyCredential from navigator.credentials.get(), as JSON. */
export const authenticationCredential = closed(
  {
    id: str(1024),
    rawId: str(1024),
    type: { const: 'public-key' },
    authenticatorAttachment: { type: 'string', enum: ['platform', 'cross-platform'] },
    clientExtensionResults: { type: 'object' },
    response: closed(
      {
        clientDataJSON: b64url,
        authenticatorData: b64url,
        signature: b64url,
        userHandle: str(1024, 0),
      },
      ['clientDataJSON', 'authenticatorData', 'signature'],
    ),
  },
  ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
);

/** One second-factor answer: exactly one of its members. */
export function factorAnswer(extra: Record<string, Schema> = {}, required: string[] = []): Schema {
  return {
    ...closed({ totp_code: code(), passkey: authenticationCredential, ...extra }, required),
  };
}

export const deviceAction = { type: 'string', enum: ['session_bind', ...SENSITIVE_ACTIONS] };
