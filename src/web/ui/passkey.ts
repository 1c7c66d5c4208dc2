// Passkeys with the browser's own JSON helpers (WebAuthn Level 3): the API sends options as
// JSON, PublicKeyCredential parses them, and the credential's toJSON() is what goes back.
// No WebAuthn library is bundled; the wallet and the dashboard both call these two.

type Json = Record<string, unknown>;

/** toJSON() may carry null members (userHandle); the API's schemas take them absent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) {
      if (v !== null && v !== undefined) out[k] = withoutNulls(v);
    }
    return out;
  }
  return value;
}

export function passkeysSupported(): boolean {
  return (
    typeof PublicKeyCredential !== 'undefined' &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
  );
}

/** Creates a passkey from registration options; returns the credential as JSON. */
export async function createPasskey(options: Json): Promise<unknown> {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(
    options as unknown as PublicKeyCredentialCreationOptionsJSON,
  );
  const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
  return withoutNulls(credential.toJSON());
}

/** Asks for a passkey assertion against authentication options. */
export async function usePasskey(options: Json): Promise<unknown> {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(
    options as unknown as PublicKeyCredentialRequestOptionsJSON,
  );
  const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
  return withoutNulls(credential.toJSON());
}
