import type { App } from '../http/index.ts';
import { KinkoError } from '../lib/errors.ts';
import { accountSummary } from './account.ts';
import { identityError } from './errors.ts';
import type { Deps } from './context.ts';
import { tokenOf } from './http.ts';
import { resolveOperatorSession } from './operators.ts';
import { resolveSession } from './sessions.ts';

// "Am I signed in?" for the web apps, asked on every page load. Being signed out is the
// normal state of a fresh visit, not an error, so the probes answer 200 {"signed_in":false}
// rather than 401: a browser logs every 4xx response as a console error, and a clean load
// must log none. Calls that need a session still answer 401 without one.

/** The answers that mean "no usable session", as opposed to a failure of the server. */
function signedOut(err: unknown): err is KinkoError {
  return identityError.is(err, 'session_missing', 'session_expired');
}

export function sessionProbeRoutes(app: App, deps: Deps): void {
  app.get(
    '/v1/identity/session/state',
    { schema: { summary: 'Whether this browser is signed in (200 either way), and the account' } },
    async (req) => {
      try {
        const summary = await accountSummary(
          deps,
          await resolveSession(deps, tokenOf(req, 'customer')),
        );
        return { signed_in: true, ...summary };
      } catch (err) {
        if (signedOut(err)) return { signed_in: false };
        throw err;
      }
    },
  );
  app.get(
    '/v1/operator/session/state',
    { schema: { summary: 'Whether an operator is signed in (200 either way), and the role' } },
    async (req) => {
      try {
        const o = await resolveOperatorSession(deps, tokenOf(req, 'operator'));
        return { signed_in: true, operator_id: o.operatorId, role: o.role };
      } catch (err) {
        if (signedOut(err)) return { signed_in: false };
        throw err;
      }
    },
  );
}
