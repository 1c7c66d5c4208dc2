import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIntegrity } from '../src/integrity/index.ts';
import { servedWebFiles } from '../src/web/index.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// The web apps are bundled at start from Kinko's source AND its npm dependencies, which no
// watched folder holds: a skimmer slipped into a dependency (the supply-chain road to a
// checkout page) changes what browsers receive without changing a watched file. So the
// manifest carries the served bundles' hashes too, and a bundle that differs from the
// approved one raises the incident, naming the bundle.

let p: TestPlatform;
let root: string;
before(async () => {
  p = await testPlatform();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-integrity-served-'));
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src/main.ts'), 'export {};\n');
});
after(async () => {
  await p.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('the platform hashes every served bundle into its manifest', async () => {
  const served = await servedWebFiles();
  for (const name of ['wallet.js', 'pos.js', 'dashboard.js', 'console.js', 'kinko.css']) {
    assert.match(served[`served/web/${name}`] ?? '', /^[0-9a-f]{64}$/, name);
  }
  await p.modules.integrity.check();
  const [m] = await p.db.sql<Array<{ files: Record<string, string> }>>`
    select files from integrity_manifests order by observed_at desc limit 1`;
  assert.equal(m?.files['served/web/wallet.js'], served['served/web/wallet.js']);
  assert.ok(m?.files['src/main.ts'], 'and the source files as before');
});

test('a served bundle that changed without approval raises an incident naming it', async () => {
  const real = await servedWebFiles();
  let served = { ...real };
  const integrity = createIntegrity({
    ...{ sql: p.db.sql, clock: p.clock, log: p.logs.log, audit: p.modules.audit },
    raise: (tx, signal) => p.modules.incidents.raise(tx, signal),
    ...{ version: '1.0.0', root, served: async () => served },
  });
  await integrity.approve({ type: 'cli' }, 'the install under test');
  assert.equal((await integrity.check()).outcome, 'unchanged');
  // What a tampered dependency does: same names, the wallet bundle's bytes differ.
  const tampered = createHash('sha256').update('wallet bundle with a skimmer').digest('hex');
  served = { ...real, 'served/web/wallet.js': tampered };
  const r = await integrity.check();
  assert.equal(r.outcome, 'changed');
  if (r.outcome !== 'changed') return;
  assert.deepEqual(r.difference.changed, ['served/web/wallet.js']);
  const [incident] = await p.db.sql`select id from incidents_records where id = ${r.incidentId}`;
  assert.ok(incident);
});
