import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S as consoleWords } from './apps/console/strings.ts';
import { S as dashboardWords } from './apps/dashboard/strings.ts';
import { S as posWords } from './apps/pos/strings.ts';
import { S as walletWords } from './apps/wallet/strings.ts';
import { appStrings, WORDS } from './ui/words.ts';

// The four apps' words: what more than one app says is written once, in ui/words.ts, so a
// fix to a translation reaches every app. Tests are never bundled, so this one sits beside
// the browser code it reads.

const APPS = {
  wallet: walletWords,
  pos: posWords,
  dashboard: dashboardWords,
  console: consoleWords,
} as const;

type Table = Record<string, readonly [string, string]>;

/** An app's own words: its table without the shared ones. */
function own(table: Table): Array<[key: string, text: string]> {
  return Object.entries(table)
    .filter(([k]) => !(k in WORDS))
    .map(([k, v]) => [k, JSON.stringify(v)]);
}

test('every app says the shared words exactly as the shared table writes them', () => {
  for (const [app, table] of Object.entries(APPS)) {
    for (const [k, v] of Object.entries(WORDS)) {
      assert.deepEqual((table as Table)[k], v, `${app}.${k}`);
    }
  }
});

test('no text is written in two apps, nor again beside the shared table', () => {
  const shared = new Set(Object.values(WORDS).map((v) => JSON.stringify(v)));
  const seen = new Map<string, string>();
  const twice: string[] = [];
  for (const [app, table] of Object.entries(APPS)) {
    for (const [k, text] of own(table as Table)) {
      if (shared.has(text)) twice.push(`${app}.${k} is a shared word: ${text}`);
      const first = seen.get(text);
      if (first && !first.startsWith(`${app}.`)) twice.push(`${first} and ${app}.${k}: ${text}`);
      if (!first) seen.set(text, `${app}.${k}`);
    }
  }
  assert.deepEqual(twice, []);
});

test('an app cannot redefine a shared word under its name', () => {
  // @ts-expect-error: signIn is a shared word; `npm run typecheck` fails if this is accepted.
  const table = appStrings({ signIn: ['Log on', 'サインオン'] });
  assert.ok(table);
});
