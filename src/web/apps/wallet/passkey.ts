import { call } from '../../ui/api.ts';
import { createPasskey, usePasskey } from '../../ui/passkey.ts';

// The wallet's passkey ceremonies: enrolling one as a second factor, and stepping up with
// it. The browser side (JSON options in, credential JSON out) is ui/passkey.ts.

export { passkeysSupported } from '../../ui/passkey.ts';

type Json = Record<string, unknown>;

export async function enrolPasskey(): Promise<string[]> {
  const options = await call<Json>('/v1/identity/factors/passkey/options', { body: {} });
  const credential = await createPasskey(options);
  const r = await call<{ recovery_codes?: string[] }>('/v1/identity/factors/passkey', {
    body: { credential },
  });
  return r.recovery_codes ?? [];
}

export async function stepUpWithPasskey(): Promise<void> {
  const options = await call<Json>('/v1/identity/step-up/passkey/options', { body: {} });
  const passkey = await usePasskey(options);
  await call('/v1/identity/step-up', { body: { passkey } });
}
