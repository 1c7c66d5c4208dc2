import type { Sql } from '../db/index.ts';
import { closed, Type, type App } from '../http/index.ts';
import * as store from './store.ts';

// GET /dev/mailbox?to=ADDRESS: what the platform "sent" to an address, newest first. It
// exists only in development and test; in production the route is never registered.

const MAILBOX_MESSAGES_MAX = 50;

/** Emails are kept lower-case; a phone's "+" arrives as a space when not URL-encoded. */
function mailboxAddress(raw: string): string {
  const to = raw.trim();
  if (/^\d{7,15}$/.test(to)) return `+${to}`;
  return to.includes('@') ? to.toLowerCase() : to;
}

export function devMailboxRoutes(app: App, deps: { sql: Sql; env: string }): void {
  if (deps.env !== 'development' && deps.env !== 'test') return;
  app.get(
    '/dev/mailbox',
    {
      schema: {
        summary: 'Development mailbox (development and test only)',
        querystring: closed({ to: Type.String({ minLength: 3, maxLength: 254 }) }),
      },
    },
    async (req) => {
      const rows = await store.mailFor(
        deps.sql,
        mailboxAddress(req.query.to),
        MAILBOX_MESSAGES_MAX,
      );
      return {
        messages: rows.map((r) => ({
          id: String(r.id),
          channel: r.channel,
          to: r.address,
          subject: r.subject,
          text: r.body,
          created_at: r.created_at.toISOString(),
        })),
      };
    },
  );
}
