import { closed, Type, type App } from '../http/index.ts';
import type { Acquirer } from './service.ts';
import { escapeHtml, jsonForHtml, newNonce, paymentPageCsp, sendPaymentPage } from './page.ts';
import type { ChallengePageInfo } from './challenge.ts';

// The 3-D Secure challenge page and its answer endpoint. The page is HTML under its own CSP;
// its script (listed in the payment-page script inventory) posts the code as JSON.

interface AcquirerRouteDeps {
  acquirer: Acquirer;
  /** The challenge page's script as the inventory lists it. */
  challengeScript: { path: string; integrity: string };
  /** Show the simulator's one-time code on the page (never in production). */
  showDevCode: boolean;
}

const params = closed({ id: Type.String({ pattern: '^3dsc_[A-Za-z0-9_-]{20,64}$' }) });

export function acquirerRoutes(app: App, deps: AcquirerRouteDeps): void {
  app.get(
    '/3ds/challenges/:id',
    {
      schema: {
        hide: true,
        params,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const info = await deps.acquirer.challengePage(id);
      const nonce = newNonce();
      const csp = paymentPageCsp({
        nonce,
        frameAncestors: info.frameOrigins,
        frameAncestorsSelf: true,
      });
      return sendPaymentPage(reply, challengeHtml(info, nonce, deps), csp);
    },
  );
  // The payment-page monitor watches the challenge page without a live challenge: this is the
  // same template, script and headers, for a sample payment that cannot be answered (its id
  // matches no challenge). What it serves is what every cardholder's challenge serves.
  app.get('/3ds/sample-challenge', { schema: { hide: true } }, async (_req, reply) => {
    const nonce = newNonce();
    const csp = paymentPageCsp({ nonce, frameAncestors: [], frameAncestorsSelf: true });
    return sendPaymentPage(reply, challengeHtml(SAMPLE_CHALLENGE, nonce, deps), csp);
  });
  app.post(
    '/3ds/challenges/:id/answer',
    {
      schema: {
        summary: '3-D Secure challenge: the cardholder’s one-time code',
        params,
        body: closed({ code: Type.String({ pattern: '^[0-9]{4,8}$' }) }),
      },
    },
    async (req) => {
      const r = await deps.acquirer.answerChallenge(req.params.id, req.body.code);
      return { status: r.status, attempts_left: r.attemptsLeft };
    },
  );
}

const SAMPLE_CHALLENGE: ChallengePageInfo = {
  id: '3dsc_sample_for_the_page_monitor',
  status: 'pending',
  notifyOrigin: 'null',
  frameOrigins: [],
  amountMinor: 1000n,
  currency: 'JPY',
  expiresAt: new Date(0),
  devCode: undefined,
};

function challengeHtml(info: ChallengePageInfo, nonce: string, deps: AcquirerRouteDeps): string {
  const config = {
    id: info.id,
    status: info.status,
    notifyOrigin: info.notifyOrigin,
    answerPath: `/3ds/challenges/${info.id}/answer`,
  };
  const dev =
    deps.showDevCode && info.devCode
      ? '<p class="dev">Development card network: the code is ' +
        `<b id="dev-code">${escapeHtml(info.devCode)}</b></p>`
      : '';
  const amount = escapeHtml(`${info.amountMinor} ${info.currency} (minor units)`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kinko — confirm your payment</title>
<meta name="referrer" content="no-referrer">
<style nonce="${nonce}">
body{font:15px system-ui,sans-serif;margin:0;padding:16px;color:#111}
input{font-size:18px;letter-spacing:4px;width:9em;padding:6px}
button{font-size:16px;padding:6px 14px}
.dev{color:#7a4b00;background:#fff4dc;padding:6px}#status{margin-top:10px}
</style></head>
<body>
<h1>3-D Secure</h1>
<p>Your card issuer asks you to confirm this payment of ${amount} with the one-time code it
sent you.</p>
${dev}
<form id="challenge" action="${config.answerPath}" method="post" autocomplete="off">
<label>One-time code <input id="code" name="code" inputmode="numeric" pattern="[0-9]*"
 maxlength="8" required></label>
<button id="submit" type="submit">Confirm</button>
</form>
<p id="status" role="status"></p>
<script type="application/json" id="kinko-challenge">${jsonForHtml(config)}</script>
<script nonce="${nonce}" src="${deps.challengeScript.path}"
 integrity="${deps.challengeScript.integrity}"></script>
</body></html>
`;
}
