import { call, newIdempotencyKey, type CallOptions } from '../../ui/api.ts';

// The dashboard acts as the signed-in person: its session is an HttpOnly cookie the browser
// sends by itself, so no credential is ever in this page's reach, and secret API keys never
// enter the browser at all (a key created here is shown once, in the answer that made it).
// The person's role decides what they see (`may`, from the server's access table) and do.

export interface Me {
  person_id: string;
  merchant_id: string;
  email: string;
  role: string;
  store_ids: string[] | null;
  /** The actions the role may do, as the server's access table says. */
  may: string[];
}

const MODE = 'kinko.dashboard.mode';

/** Live data unless the person chose to look at test-mode records (kept for this tab). */
export function dataMode(): 'live' | 'test' {
  return sessionStorage.getItem(MODE) === 'test' ? 'test' : 'live';
}

export function setDataMode(mode: 'live' | 'test'): void {
  if (mode === 'test') sessionStorage.setItem(MODE, 'test');
  else sessionStorage.removeItem(MODE);
}

/** A merchant API call; every POST carries a fresh Idempotency-Key for this one action. */
export function mcall<T>(path: string, options: CallOptions = {}): Promise<T> {
  const post = options.body !== undefined || options.method === 'POST';
  return call<T>(path, {
    ...options,
    headers: { ...options.headers, 'kinko-mode': dataMode() },
    idempotencyKey: post ? (options.idempotencyKey ?? newIdempotencyKey()) : undefined,
  });
}

/** The signed-in person, or null when this browser is signed out (asked on every load). */
export async function whoAmI(): Promise<Me | null> {
  const r = await call<(Me & { signed_in: true }) | { signed_in: false }>(
    '/v1/dashboard/session/state',
  );
  return r.signed_in ? r : null;
}

export const signOut = () => call('/v1/dashboard/logout', { body: {} });

export interface List<T> {
  data: T[];
  has_more?: boolean;
}

/** Unix seconds from a yyyy-mm-dd date field (local midnight), or undefined. */
export function unixOf(date: string | undefined, endOfDay = false): number | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T${endOfDay ? '23:59:59' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? undefined : Math.floor(d.getTime() / 1000);
}

export function isoOfUnix(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
