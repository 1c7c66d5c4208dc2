import { call, newIdempotencyKey, type CallOptions } from '../../ui/api.ts';

// The dashboard signs in with the merchant's secret key, entered once and kept in this
// tab's sessionStorage (gone when the tab closes; never in localStorage or a cookie). There
// is no merchant-user login in the API yet; the page says so where the key is entered.

const KEY = 'kinko.dashboard.secret_key';

export function secretKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setSecretKey(value: string | null): void {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** A merchant API call; every POST carries a fresh Idempotency-Key for this one action. */
export function mcall<T>(path: string, options: CallOptions = {}): Promise<T> {
  const post = options.body !== undefined || options.method === 'POST';
  return call<T>(path, {
    ...options,
    bearer: secretKey() ?? undefined,
    idempotencyKey: post ? (options.idempotencyKey ?? newIdempotencyKey()) : undefined,
  });
}

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
