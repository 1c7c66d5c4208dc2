import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// The apps build their forms from ui/form.tsx (FormCard, Form, FormError): a form card, its
// error notice or a field's error binding written out by hand in an app is how the copies
// the form card replaced came about, so this test refuses them.

const APPS = path.join(path.dirname(new URL(import.meta.url).pathname), 'apps');

const BY_HAND: Array<[RegExp, string]> = [
  [/<form class="card"[^>]*>/, 'a form card: use FormCard'],
  [/\{\s*form\.general\s*&&\s*<Notice/, "a form's error notice: use FormError"],
  [/errors=\{form\.errors\}/, 'a field bound by hand: a field in a Form is bound to it'],
];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.tsx') ? [p] : [];
  });
}

test('no app writes a form card, its error notice or a field binding by hand', () => {
  const found: string[] = [];
  for (const file of sources(APPS)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const [pattern, what] of BY_HAND) {
        if (pattern.test(line)) found.push(`${path.relative(APPS, file)}:${i + 1}: ${what}`);
      }
    });
  }
  assert.deepEqual(found, []);
});
