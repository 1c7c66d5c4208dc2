// Contact addresses in one canonical form, so that the same person cannot hold two
// accounts by changing case, and lookups by identifier are exact.

const EMAIL_RE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE_RE = /^\+[1-9]\d{6,14}$/;

export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL_RE.test(email) ? email : undefined;
}

/** E.164: a plus sign and up to 15 digits; spaces, dashes and brackets are dropped. */
export function normalizePhone(raw: string): string | undefined {
  const phone = raw.trim().replace(/[\s().-]/g, '');
  return PHONE_RE.test(phone) ? phone : undefined;
}

type Identifier = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

/** Customers sign in and recover with their email or phone; anything else is unknown. */
export function parseIdentifier(raw: string): Identifier | undefined {
  const email = normalizeEmail(raw);
  if (email) return { kind: 'email', value: email };
  const phone = normalizePhone(raw);
  return phone ? { kind: 'phone', value: phone } : undefined;
}

/** Masks an address for display in messages: t***@example.com, +81******5678. */
export function maskAddress(address: string): string {
  const at = address.indexOf('@');
  if (at > 0) return `${address[0]}***${address.slice(at)}`;
  return `${address.slice(0, 3)}${'*'.repeat(Math.max(0, address.length - 7))}${address.slice(-4)}`;
}
