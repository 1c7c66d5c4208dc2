import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { createServer } from '../http/index.ts';
import { manualClock } from '../lib/clock.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import { createNotifier, DeliveryUnavailable, devMailboxRoutes } from './index.ts';

test('the dev mailbox keeps messages and is served only in development and test', async () => {
  const db = await createTestDb();
  try {
    const { log } = capturedLogger('warn');
    const clock = manualClock();
    const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test' });
    assert.equal(
      await notifier.deliver({ channel: 'sms', to: '+819012345678', subject: 's', text: 'hello' }),
      'dev_mailbox',
    );
    const limits = loadConfig({}).limits;
    for (const env of ['test', 'development', 'production']) {
      const app = await createServer({
        log,
        limits,
        version: 't',
        routes: (s) => devMailboxRoutes(s, { sql: db.sql, env }),
      });
      const res = await app.inject({ method: 'GET', url: '/dev/mailbox?to=+819012345678' });
      if (env === 'production') assert.equal(res.statusCode, 404);
      else assert.equal(res.json().messages[0].text, 'hello', env);
      await app.close();
    }
    const prod = createNotifier({ sql: db.sql, clock, log, env: 'production' });
    await assert.rejects(
      prod.deliver({ channel: 'email', to: 'a@example.com', subject: 's', text: 't' }),
      DeliveryUnavailable,
    );
  } finally {
    await db.close();
  }
});
