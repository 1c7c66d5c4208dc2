import { escapeHtml, jsonForHtml } from '../acquirer/index.ts';
import type { ScriptEntry } from './inventory.ts';

// The hosted card fields page. Its only script is fields.js (nonce and SRI); its only data
// is a JSON block with the session key, the merchant origin to post the token to, and the
// paths it talks to. Field names are not "number"/"cvc" on purpose: the browser's autofill
// still works through autocomplete attributes, and nothing else on the page reads them.

interface FieldsPageConfig {
  sessionKey: string;
  parentOrigin: string;
  tokenizePath: string;
  completePath: string;
}

export function hostedFieldsHtml(
  config: FieldsPageConfig,
  nonce: string,
  script: ScriptEntry,
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Card details — Kinko</title>
<meta name="referrer" content="no-referrer">
<style nonce="${nonce}">
body{font:15px system-ui,sans-serif;margin:0;padding:8px;color:#111}
label{display:block;margin:6px 0 2px}input{font-size:16px;padding:6px;box-sizing:border-box}
#number{width:100%}.row{display:flex;gap:8px}.row input{width:6em}
button{margin-top:10px;font-size:16px;padding:6px 14px}#error{color:#b00020;min-height:1.2em}
#challenge-frame{width:100%;height:330px;border:1px solid #ccc;display:none}
</style></head>
<body>
<form id="card-form" action="${escapeHtml(config.tokenizePath)}" method="post" autocomplete="on"
 novalidate>
<label for="number">Card number</label>
<input id="number" autocomplete="cc-number" inputmode="numeric" maxlength="23" required>
<div class="row">
<div><label for="exp-month">Month</label>
<input id="exp-month" autocomplete="cc-exp-month" inputmode="numeric" maxlength="2"
 placeholder="MM"></div>
<div><label for="exp-year">Year</label>
<input id="exp-year" autocomplete="cc-exp-year" inputmode="numeric" maxlength="4"
 placeholder="YYYY"></div>
<div><label for="cvc">Security code</label>
<input id="cvc" autocomplete="cc-csc" inputmode="numeric" maxlength="4"></div>
</div>
<button id="submit" type="submit">Save card</button>
<p id="error" role="alert"></p>
</form>
<iframe id="challenge-frame" title="3-D Secure"></iframe>
<script type="application/json" id="kinko-fields">${jsonForHtml(config)}</script>
<script nonce="${nonce}" src="${escapeHtml(script.path)}" integrity="${script.integrity}"></script>
</body></html>
`;
}
