import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

// Payment pages (hosted card fields, 3-D Secure challenge) are HTML under a strict
// Content-Security-Policy of their own, built per response (ApparelX 2020: a page that can
// load any script can be turned into a look-alike form). Nothing runs without this
// response's nonce, forms post only to Kinko, fetches go only to Kinko, the page may be framed
// only by the origins named, and every violation is reported to CSP_REPORT_PATH.

export const CSP_REPORT_PATH = '/csp-reports';

/** 144 random bits per response (CSP3 asks for at least 128). */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

interface PageCspOptions {
  nonce: string;
  /** Origins allowed to frame the page; 'self' is added when the page may nest in Kinko. */
  frameAncestors: readonly string[];
  frameAncestorsSelf?: boolean;
  /** Whether the page may frame Kinko's own pages (the 3-D Secure challenge). */
  frameSelf?: boolean;
}

export function paymentPageCsp(o: PageCspOptions): string {
  const ancestors = [...(o.frameAncestorsSelf ? ["'self'"] : []), ...o.frameAncestors];
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    `style-src 'nonce-${o.nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "font-src 'none'",
    `frame-src ${o.frameSelf ? "'self'" : "'none'"}`,
    "form-action 'self'",
    `frame-ancestors ${ancestors.length > 0 ? ancestors.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "object-src 'none'",
    `report-uri ${CSP_REPORT_PATH}`,
  ].join('; ');
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON that is safe inside a <script type="application/json"> element. */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/**
 * Sends a payment page. The page's own CSP replaces the server's default one; frame-ancestors
 * decides framing, so X-Frame-Options (which cannot name an origin) goes.
 */
export function sendPaymentPage(reply: FastifyReply, html: string, csp: string): FastifyReply {
  reply.removeHeader('x-frame-options');
  return reply
    .header('content-security-policy', csp)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .send(html);
}
