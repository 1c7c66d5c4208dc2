import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderErrorsDoc } from '../scripts/errors-doc.ts';

test('docs/errors.md lists every registered error code (run `npm run docs:errors`)', async () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const onDisk = fs.readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');
  assert.equal(onDisk, await renderErrorsDoc());
});
