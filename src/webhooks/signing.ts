import { createHmac } from 'node:crypto';

// Signatures: `Kinko-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
// with one v1 per secret that is currently valid (two during a rotation). The timestamp is
// inside the signed text, so a receiver that refuses old timestamps refuses replays.

export const SIGNATURE_HEADER = 'kinko-signature';
export const EVENT_ID_HEADER = 'kinko-event-id';

function signatureOf(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secrets: readonly string[], t: number, body: string): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${signatureOf(s, t, body)}`)].join(',');
}
