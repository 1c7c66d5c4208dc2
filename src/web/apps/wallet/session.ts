import { ApiError, call, type CallOptions } from '../../ui/api.ts';
import { loadDevice, saveDevice, signProof, type DeviceRecord } from './device.ts';

// The wallet's side of the identity API: the signed-in session (a __Host- cookie the page
// never reads), the device proof money-moving calls carry, and step-up when the API asks
// for a recent passkey or TOTP check. walletCall retries a call once after a step-up.

export interface AccountSummary {
  customer_id: string;
  email: string;
  phone: string;
  status: string;
  factors: Array<'passkey' | 'totp'>;
  recovery_codes_left: number;
  device_id: string | null;
  strong_auth_at: string | null;
  /** How long a strong check counts as recent (the server's stepUpSecondsMax). */
  step_up_seconds_max?: number;
  money_hold_until: string | null;
}

const DEVICE_PROOF_HEADER = 'kinko-device-proof';

type ProofAction = 'topup' | 'payment_code' | 'card_link' | 'limit_raise' | 'account_delete';

export interface StepUpRequest {
  action?: string;
  factors?: Array<'passkey' | 'totp'>;
  /** How long the check will count as recent (the server's stepUpSecondsMax). */
  max_age_seconds?: number;
}

type StepUpHandler = (request: StepUpRequest) => Promise<void>;

let stepUpHandler: StepUpHandler | undefined;

/** The page registers how to ask the customer for a step-up (a dialog). */
export function onStepUp(handler: StepUpHandler): void {
  stepUpHandler = handler;
}

/** The signed-in account; a 401-like ApiError when signed out (the probe itself answers 200). */
export async function getSession(): Promise<AccountSummary> {
  const state = await call<({ signed_in: true } & AccountSummary) | { signed_in: false }>(
    '/v1/identity/session/state',
  );
  if (!state.signed_in) throw new ApiError(401, { code: 'session_missing' });
  const { signed_in: _signedIn, ...account } = state;
  return account;
}

async function deviceProof(customerId: string, deviceId: string, action: string): Promise<string> {
  const device = await loadDevice(customerId);
  if (!device) throw new ApiError(0, { code: 'device_missing', message: 'No device key here.' });
  const c = await call<{ challenge: string }>('/v1/identity/devices/challenge', {
    body: { device_id: deviceId, action },
  });
  return signProof(device.keys, action, c.challenge);
}

interface WalletCallOptions extends CallOptions {
  /** The sensitive action this call performs; a device proof is attached for it. */
  action?: ProofAction;
  account?: Pick<AccountSummary, 'customer_id' | 'device_id'>;
}

export async function walletCall<T>(path: string, options: WalletCallOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...options.headers };
    const acct = options.account;
    if (options.action && acct?.device_id) {
      headers[DEVICE_PROOF_HEADER] = await deviceProof(
        acct.customer_id,
        acct.device_id,
        options.action,
      );
    }
    try {
      return await call<T>(path, { ...options, headers });
    } catch (err) {
      const stepUp = err instanceof ApiError && err.code === 'step_up_required';
      if (!stepUp || attempt > 0 || !stepUpHandler) throw err;
      await stepUpHandler((err.body['step_up'] as StepUpRequest | undefined) ?? {});
    }
  }
}

/** Binds the signed-in session to this browser's confirmed device key. */
export async function bindDevice(device: DeviceRecord): Promise<void> {
  if (!device.deviceId) throw new ApiError(0, { code: 'device_missing' });
  const c = await call<{ challenge: string }>('/v1/identity/devices/challenge', {
    body: { device_id: device.deviceId, action: 'session_bind' },
  });
  const proof = await signProof(device.keys, 'session_bind', c.challenge);
  await call('/v1/identity/session/device', {
    body: {},
    headers: { [DEVICE_PROOF_HEADER]: proof },
  });
}

export async function adoptPendingDevice(customerId: string, deviceId: string): Promise<void> {
  const pending = await loadDevice('pending');
  if (!pending) return;
  await saveDevice({ ...pending, owner: customerId, deviceId });
}
