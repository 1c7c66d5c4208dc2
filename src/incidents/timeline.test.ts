import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAudit, generateAuditSigningKey } from '../audit/index.ts';
import { manualClock } from '../lib/clock.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import { createIncidents, type Incidents } from './service.ts';
import type { Signal } from './timeline.ts';

// The incident's state machine (only forward), signals that join the live incident of their
// key instead of opening duplicates (also when raised at once), and the timeline other
// modules append to.

async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const audit = createAudit({ clock, sql: db.sql, signingKey: generateAuditSigningKey() });
  const incidents = createIncidents({ sql: db.sql, audit, clock });
  return { db, audit, clock, incidents };
}

const stuffing = (key: string): Signal => ({
  detector: 'identity.stuffing',
  key,
  title: `Credential stuffing from ${key}`,
  severity: 'high',
  detail: { attempts: 40 },
});

const raise = (i: Incidents, s: Signal) => i.deps.sql.begin((tx) => i.raise(tx, s));

test('a signal with the key of a live incident joins it; another key opens one', async (t) => {
  const { db, incidents } = await setUp(t);
  const first = await raise(incidents, stuffing('203.0.113.0/24'));
  const again = await raise(incidents, stuffing('203.0.113.0/24'));
  const other = await raise(incidents, stuffing('198.51.100.0/24'));
  assert.equal(first.joined, false);
  assert.deepEqual(again, { incidentId: first.incidentId, joined: true });
  assert.equal(other.joined, false);
  assert.notEqual(other.incidentId, first.incidentId);
  const view = await incidents.view(db.sql, first.incidentId);
  assert.equal(view?.record.signals, 2);
  assert.equal(view?.record.title, 'Credential stuffing from 203.0.113.0/24');
  assert.deepEqual(
    view?.openers.map((o) => [o.actor_type, o.detector, o.signals]),
    [['system', 'identity.stuffing', 2]],
  );
  assert.deepEqual(
    view?.timeline.map((e) => e.kind),
    ['opened', 'signal_joined'],
  );
});

test('signals raised at once in parallel transactions open one incident', async (t) => {
  const { db, incidents } = await setUp(t);
  const all = await Promise.all(
    Array.from({ length: 6 }, () => raise(incidents, stuffing('192.0.2.0/24'))),
  );
  assert.equal(new Set(all.map((r) => r.incidentId)).size, 1);
  assert.equal(all.filter((r) => !r.joined).length, 1);
  const [row] = await db.sql<{ n: number; signals: number }[]>`
    select count(*)::int as n, max(signals) as signals from incidents_records`;
  assert.deepEqual({ ...row }, { n: 1, signals: 6 });
});

test('once resolved, a new signal opens a new incident; status only moves forward', async (t) => {
  const { db, incidents } = await setUp(t);
  const op = { type: 'operator' as const, id: 'op_1' };
  const first = await raise(incidents, stuffing('203.0.113.0/24'));
  const move = (to: 'open' | 'contained' | 'resolved' | 'closed') =>
    db.sql.begin((tx) =>
      incidents.changeStatus(tx, { incidentId: first.incidentId, to, actor: op }),
    );
  assert.deepEqual(await move('contained'), { from: 'open', to: 'contained' });
  assert.equal((await raise(incidents, stuffing('203.0.113.0/24'))).joined, true);
  await assert.rejects(move('open'), { code: 'incident_transition_invalid' });
  assert.deepEqual(await move('resolved'), { from: 'contained', to: 'resolved' });
  await assert.rejects(move('contained'), { code: 'incident_transition_invalid' });
  const next = await raise(incidents, stuffing('203.0.113.0/24'));
  assert.equal(next.joined, false);
  assert.notEqual(next.incidentId, first.incidentId);
  assert.deepEqual(await move('closed'), { from: 'resolved', to: 'closed' });
});

test('modules append to the timeline, audited; state kinds and unknown ids refused', async (t) => {
  const { db, audit, incidents } = await setUp(t);
  const { incidentId } = await raise(incidents, stuffing('203.0.113.0/24'));
  const op = { type: 'operator' as const, id: 'op_2' };
  await db.sql.begin(async (tx) => {
    await incidents.appendTimeline(tx, incidentId, {
      kind: 'switch.turned_on',
      summary: 'Card top-ups suspended',
      ref: { type: 'switch', id: 'sw_topups' },
      actor: op,
    });
    await incidents.assignOwner(tx, { incidentId, ownerId: 'op_2', actor: op });
  });
  await assert.rejects(
    db.sql.begin((tx) =>
      incidents.appendTimeline(tx, 'inc_nonexistent00000', { kind: 'note', summary: 'x' }),
    ),
    { code: 'incident_not_found' },
  );
  await assert.rejects(
    db.sql.begin((tx) =>
      incidents.appendTimeline(tx, incidentId, { kind: 'status_changed', summary: 'x' }),
    ),
    /bad timeline kind/,
  );
  const view = await incidents.view(db.sql, incidentId);
  assert.equal(view?.record.owner_id, 'op_2');
  const note = view?.timeline.find((e) => e.kind === 'switch.turned_on');
  assert.deepEqual(note?.detail, {
    summary: 'Card top-ups suspended',
    ref: { type: 'switch', id: 'sw_topups' },
    detail: {},
  });
  const entries = await audit.listEntries({
    subjectType: 'incident',
    subjectId: incidentId,
    limit: 9,
  });
  assert.deepEqual(
    entries.map((e) => e.action),
    ['incidents.incident.opened', 'incidents.timeline', 'incidents.incident.owner_changed'],
  );
});
