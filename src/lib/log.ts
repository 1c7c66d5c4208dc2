import { pino, type Logger, type DestinationStream } from 'pino';
import { maskPans, scrub } from './redact.ts';

// Structured JSON logs, one object per line, ready for a SIEM. Every object and message
// passes through scrub() (lib/redact.ts), so a handler that logs a request body by
// mistake still cannot write a card number, security code or secret.

export type { Logger };

interface LogOptions {
  level: string;
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LogOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'kinko', ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrub(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? maskPans(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (e: unknown) => scrub(e),
        error: (e: unknown) => scrub(e),
        // Requests are logged by method, path and peer only: never headers (cookies,
        // Authorization) and never query strings, which may carry tokens.
        req: (req: {
          method?: string;
          url?: string;
          ip?: string;
          socket?: { remoteAddress?: string };
        }) => ({
          method: req.method,
          path: maskPans((req.url ?? '').split('?')[0] ?? ''),
          ip: req.ip ?? req.socket?.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
