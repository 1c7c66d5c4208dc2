import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAudit } from './audit/index.ts';
import { loadConfig } from './config.ts';
import type { Sql } from './db/index.ts';
import { manualClock } from './lib/clock.ts';
import { capturedLogger } from '../test/helpers/log.ts';
import { createSimulator } from './acquirer/index.ts';
import { createCardPath } from './main.ts';

// The card path as main.ts assembles it: the key file stays outside the data directory, and
// production refuses the simulator and a non-https public origin.

const nothing = () => Promise.resolve(undefined);

function deps(env: Record<string, string>) {
  const clock = manualClock();
  return {
    config: loadConfig(env),
    log: capturedLogger().log,
    sql: undefined as unknown as Sql,
    clock,
    audit: createAudit({ clock }),
    // Never asked: building the card path reads no merchant.
    merchants: { resolvePublishableKey: nothing, resolveSecretKey: nothing },
    env: {},
  };
}

test('development: key file created outside the data directory, simulator as network', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-wiring-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'keys', 'vault.json');
  const env = { KINKO_DATA_DIR: path.join(dir, 'data'), KINKO_KEK_FILE: keyFile };
  const card = createCardPath(deps(env));
  assert.equal(card.network.name, 'simulator');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  const inside = { KINKO_DATA_DIR: dir, KINKO_KEK_FILE: path.join(dir, 'k.json') };
  assert.throws(() => createCardPath(deps(inside)), /outside the data directory/);
});

test('production: no simulator, no plain-http origin, no key file created on the fly', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-wiring-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = {
    KINKO_ENV: 'production',
    DATABASE_URL: 'postgres://x@localhost/kinko',
    KINKO_DATA_DIR: path.join(dir, 'data'),
    KINKO_KEK_FILE: path.join(dir, 'vault.json'),
  };
  assert.throws(() => createCardPath(deps(base)), /https/);
  const https = { ...base, KINKO_PUBLIC_ORIGIN: 'https://pay.example' };
  assert.throws(() => createCardPath(deps(https)), /simulator is not for production/);
  const network = createSimulator();
  assert.throws(() => createCardPath({ ...deps(https), network }), /does not exist/);
});
