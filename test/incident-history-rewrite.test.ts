import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, generateAuditSigningKey } from '../src/audit/index.ts';
import { changeIncidentStatus, incidentTimeline, openIncident } from '../src/incidents/index.ts';
import type { Sql } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createTestDb } from './helpers/db.ts';

// An incident's history is evidence: whoever reaches the database with the application's
// credentials must not be able to edit or remove what happened to an incident, nor change
// its state without that change appearing in its timeline. Every change is also an audit
// entry, committed with the change.

/** The incident's current state, as the timeline's trigger wrote it. */
async function statusOf(sql: Sql, id: string): Promise<string | undefined> {
  const [row] = await sql<{ status: string }[]>`select status from incidents_records
    where id = ${id}`;
  return row?.status;
}

async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql, signingKey: generateAuditSigningKey() });
  const deps = { audit, clock };
  const id = await db.sql.begin((tx) =>
    openIncident(tx, deps, {
      kind: 'vault.pan_discovered',
      severity: 'critical',
      summary: '1 card number(s) found outside the vault in notes.body',
      detail: { finding_count: 1 },
    }),
  );
  const operator = { type: 'operator' as const, id: 'op_1' };
  await db.sql.begin((tx) =>
    changeIncidentStatus(tx, deps, { incidentId: id, to: 'contained', actor: operator }),
  );
  return { db, audit, deps, id, operator };
}

/** Runs one statement and expects PostgreSQL to refuse it with a message matching re. */
async function refused(run: () => Promise<unknown>, re: RegExp, what: string) {
  await assert.rejects(run, (e: Error) => re.test(e.message), `${what} was not refused`);
}

test('every incident change is in the timeline and has an audit entry', async (t) => {
  const { db, audit, id } = await setUp(t);
  const events = await incidentTimeline(db.sql, id);
  assert.deepEqual(
    events.map((e) => [e.kind, e.actor_type, e.actor_id]),
    [
      ['opened', 'system', null],
      ['status_changed', 'operator', 'op_1'],
    ],
  );
  assert.deepEqual(events[1]!.detail, { from: 'open', to: 'contained' });
  assert.equal(await statusOf(db.sql, id), 'contained');
  const entries = await audit.listEntries({ subjectType: 'incident', subjectId: id, limit: 10 });
  assert.deepEqual(
    entries.map((e) => [e.action, e.actorType, e.actorId]),
    [
      ['incidents.incident.opened', 'system', null],
      ['incidents.incident.status_changed', 'operator', 'op_1'],
    ],
  );
  assert.deepEqual(JSON.parse(entries[1]!.detail), { from: 'open', to: 'contained' });
  assert.equal((await audit.verify()).ok, true);
});

test('an incident history cannot be rewritten or removed', async (t) => {
  const { db, id } = await setUp(t);
  // As the tables' owner: the serving role is refused by privilege before any trigger runs,
  // and the triggers must hold even for a role with every right on the tables.
  const sql = db.owner;
  const timeline = /incidents_events is append-only/;
  await refused(() => sql`update incidents_events set detail = '{}'`, timeline, 'UPDATE events');
  await refused(
    () => sql`delete from incidents_events where kind = 'status_changed'`,
    timeline,
    'DELETE events',
  );
  await refused(() => sql`truncate incidents_events cascade`, timeline, 'TRUNCATE events');
  const record = /incidents_records changes only through incidents_events/;
  await refused(
    () => sql`update incidents_records set status = 'open' where id = ${id}`,
    record,
    'a status change without a timeline event',
  );
  await refused(() => sql`update incidents_records set severity = 'low'`, record, 'UPDATE record');
  await refused(() => sql`delete from incidents_records`, record, 'DELETE record');
  await refused(
    () => sql`truncate incidents_records cascade`,
    /append-only|incidents_records/,
    'TRUNCATE record',
  );
  await refused(
    () => sql`insert into incidents_records (id, kind, severity, summary, opened_at)
              values ('inc_forged0000000000', 'x.y', 'low', 'forged', now())`,
    record,
    'an incident without a timeline',
  );
  // The timeline itself only accepts transitions the state allows.
  await refused(
    () => sql`insert into incidents_events (incident_id, at, actor_type, kind, detail)
              values (${id}, now(), 'system', 'status_changed', '{"from":"contained","to":"x"}')`,
    /cannot go from contained to x/,
    'a transition to an unknown status',
  );
  const events = await incidentTimeline(sql, id);
  assert.equal(events.length, 2, 'the timeline is as it was');
  assert.equal(await statusOf(sql, id), 'contained');
});

test('a transition the state does not allow is a named error and changes nothing', async (t) => {
  const { db, deps, id, operator } = await setUp(t);
  const change = (to: 'open' | 'contained' | 'resolved' | 'closed') =>
    db.sql.begin((tx) => changeIncidentStatus(tx, deps, { incidentId: id, to, actor: operator }));
  await assert.rejects(change('contained'), { code: 'incident_transition_invalid' });
  await assert.rejects(change('open'), { code: 'incident_transition_invalid' });
  await assert.rejects(
    db.sql.begin((tx) =>
      changeIncidentStatus(tx, deps, {
        incidentId: 'inc_nonexistent00000',
        to: 'closed',
        actor: operator,
      }),
    ),
    { code: 'incident_not_found' },
  );
  assert.equal((await incidentTimeline(db.sql, id)).length, 2);
  assert.deepEqual(await change('resolved'), { from: 'contained', to: 'resolved' });
  assert.deepEqual(await change('closed'), { from: 'resolved', to: 'closed' });
  await assert.rejects(change('open'), { code: 'incident_transition_invalid' });
  assert.equal((await incidentTimeline(db.sql, id)).length, 4);
  // The database holds the same order for a writer that skips the module.
  await refused(
    () => db.owner`insert into incidents_events (incident_id, at, actor_type, kind, detail)
              values (${id}, now(), 'system', 'status_changed', '{"from":"closed","to":"open"}')`,
    /cannot go from closed to open/,
    'reopening a closed incident',
  );
});
