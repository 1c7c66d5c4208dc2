import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, type AuditEntryInput } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { createLedger } from '../src/ledger/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { isSecurityEvent } from '../src/siem/index.ts';
import { createTestDb } from './helpers/db.ts';

// The SIEM export hears of an append through audit's onAppend hook, in the appending
// transaction. appendStatement (an append made into a WITH item of the caller's own
// statement) cannot run that hook, so a security event sent that way would never reach the
// collectors. The audit module therefore refuses one there, whether or not an export is on.

const system = (action: string, outcome: AuditEntryInput['outcome']): AuditEntryInput => ({
  action,
  actor: { type: 'system', id: 'test' },
  outcome,
});

test('a security event is refused by appendStatement and written by append', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const heard: string[] = [];
  const audit = createAudit({
    clock: manualClock(),
    sql: db.sql,
    exported: isSecurityEvent,
    onAppend: async (_tx, entries) => {
      heard.push(...entries.filter(isSecurityEvent).map((e) => e.action));
    },
  });
  const signIn = system('identity.login.failed', 'failure');
  await assert.rejects(
    db.sql.begin(async (tx) => {
      await tx`${audit.appendStatement(tx, [system('acquirer.capture.succeeded', 'success'), signIn])}`;
    }),
    /identity\.login\.failed is a security event: append it with audit\.append/,
  );
  // A refused card answer is a security event too (outcome denied), whatever its prefix.
  assert.throws(
    () => audit.appendStatement(db.sql as never, [system('acquirer.authorization.x', 'denied')]),
    /security event/,
  );
  await db.sql.begin(async (tx) => {
    await tx`${audit.appendStatement(tx, [system('acquirer.capture.succeeded', 'success')])}`;
    await audit.append(tx, [signIn]);
  });
  assert.deepEqual(heard, ['identity.login.failed']);
  const rows = await db.sql<{ action: string }[]>`select action from audit_entries order by id`;
  assert.deepEqual(
    rows.map((r) => r.action),
    ['acquirer.capture.succeeded', 'identity.login.failed'],
    'the refused transaction wrote nothing',
  );
});

test('a ledger batch an operator posts reaches the export; a system one is sent inside', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const heard: string[] = [];
  const audit = createAudit({
    clock,
    sql: db.sql,
    exported: isSecurityEvent,
    onAppend: async (_tx, entries) => {
      heard.push(...entries.filter(isSecurityEvent).map((e) => `${e.action} ${e.actor.type}`));
    },
  });
  const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
  const ledger = createLedger({ sql: db.sql, clock, audit, limits });
  const [a, b] = [uuidv7(), uuidv7()];
  await ledger.createAccounts([
    { id: a, currency: 'JPY', code: 1 },
    { id: b, currency: 'JPY', code: 1 },
  ]);
  const move = () => ({
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount: 100n,
    currency: 'JPY',
    code: 1,
  });
  // An analyst's approval posting a held payment, as the review queue does.
  const operator = { actor: { type: 'operator' as const, id: 'op_1' } };
  const posted = await ledger.createTransfers([move()], operator);
  assert.equal(posted[0]?.result, 'ok');
  assert.equal((await ledger.createTransfers([move()]))[0]?.result, 'ok');
  assert.deepEqual(heard, ['ledger.batch.created operator']);
  const rows = await db.sql<{ n: number }[]>`
    select count(*)::int as n from audit_entries where action = 'ledger.batch.created'`;
  assert.equal(rows[0]?.n, 2, 'both batches audited');
});

test('what Kinko appends by statement is never a security event', () => {
  // The callers of appendStatement: the acquirer's answers and the ledger's batch entries.
  for (const action of [
    'acquirer.authorization.authorized',
    'acquirer.authorization.declined',
    'acquirer.capture.succeeded',
    'acquirer.void.succeeded',
    'acquirer.refund.succeeded',
    'ledger.batch.created',
  ]) {
    for (const outcome of ['success', 'failure'] as const) {
      assert.equal(isSecurityEvent(system(action, outcome)), false, `${action} ${outcome}`);
    }
  }
});
