import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from './helpers/db.ts';

// Column checks never use a counted repetition of more than a few characters: PostgreSQL's
// regular expressions expand [A-Za-z0-9_-]{16,64} into a state per count, and a check runs on
// every insert and every update of its row (~10-15 µs a row for an id, migration 0051). An id
// is checked as its characters (one unbounded repetition) and its length instead. And the
// checks that migration 0051 rewrote accept exactly what their old forms accepted: both are
// evaluated on values at and around each bound, with characters inside and outside the class.

const REPETITION_COUNT_MAX = 8;

/** The checks 0051 rewrote: constraint, column, the regular expression it used to be. */
const REWRITTEN: readonly (readonly [string, string, string])[] = [
  ['acquirer_authorizations_decline_code_check', 'decline_code', '^[a-z_]{1,50}$'],
  ['acquirer_authorizations_id_check', 'id', '^authz_[A-Za-z0-9_-]{16,64}$'],
  ['acquirer_challenges_id_check', 'id', '^3dsc_[A-Za-z0-9_-]{20,64}$'],
  ['acquirer_operations_failure_code_check', 'failure_code', '^[a-z_]{1,50}$'],
  ['acquirer_operations_id_check', 'id', '^acqop_[A-Za-z0-9_-]{16,64}$'],
  ['audit_checkpoints_key_id_check', 'key_id', '^[0-9a-f]{16}$'],
  ['incidents_events_kind_check', 'kind', '^[a-z][a-z0-9_.]{0,63}$'],
  ['incidents_merchant_notices_ref_check', 'ref', '^mnt_[A-Za-z0-9_-]{16,64}$'],
  ['incidents_notices_ref_form', 'ref', '^ntc_[A-Za-z0-9_-]{16,64}$'],
  ['incidents_records_detector_check', 'detector', '^[a-z][a-z0-9_.]{0,63}$'],
  ['incidents_records_id_check', 'id', '^inc_[A-Za-z0-9_-]{16,64}$'],
  ['incidents_records_kind_check', 'kind', '^[a-z][a-z0-9_.]{0,63}$'],
  ['incidents_scope_items_card_fingerprint_check', 'card_fingerprint', '^[0-9a-f]{64}$'],
  ['incidents_scopes_id_check', 'id', '^scope_[A-Za-z0-9_-]{16,64}$'],
  ['job_runs_job_check', 'job', '^[a-z][a-z0-9_.-]{0,63}$'],
  ['merchants_api_keys_id_check', 'id', '^key_[A-Za-z0-9_-]{16,64}$'],
  ['merchants_invitations_id_check', 'id', '^inv_[A-Za-z0-9_-]{16,64}$'],
  ['merchants_merchants_id_check', 'id', '^mer_[A-Za-z0-9_-]{16,64}$'],
  ['merchants_stores_id_check', 'id', '^sto_[A-Za-z0-9_-]{16,64}$'],
  ['merchants_terminals_id_check', 'id', '^term_[A-Za-z0-9_-]{16,64}$'],
  ['pagewatch_observations_id_check', 'id', '^pgobs_[A-Za-z0-9_-]{16,64}$'],
  ['pagewatch_pages_id_check', 'id', '^page_[A-Za-z0-9_-]{16,64}$'],
  ['payments_cards_card_token_check', 'card_token', '^card_[A-Za-z0-9_-]{22,64}$'],
  ['payments_payments_id_check', 'id', '^pay_[A-Za-z0-9_-]{16,64}$'],
  ['payments_refunds_id_check', 'id', '^pre_[A-Za-z0-9_-]{16,64}$'],
  ['payments_topups_id_check', 'id', '^tu_[A-Za-z0-9_-]{16,64}$'],
  ['risk_reviews_id_check', 'id', '^rv_[A-Za-z0-9_-]{16,64}$'],
  ['switches_switches_id_check', 'id', '^sw_[A-Za-z0-9_-]{1,64}$'],
  ['vault_card_exports_id_check', 'id', '^cexp_[A-Za-z0-9_-]{16,64}$'],
  ['vault_cards_token_check', 'token', '^card_[A-Za-z0-9_-]{22,64}$'],
  ['vault_hosted_sessions_id_check', 'id', '^hs_[A-Za-z0-9_-]{16,64}$'],
  ['webhooks_deliveries_id_check', 'id', '^whd_[A-Za-z0-9_-]{16,64}$'],
  ['webhooks_endpoints_id_check', 'id', '^we_[A-Za-z0-9_-]{16,64}$'],
  ['webhooks_events_id_check', 'id', '^evt_[A-Za-z0-9_-]{16,64}$'],
  ['webhooks_secrets_id_check', 'id', '^whs_[A-Za-z0-9_-]{16,64}$'],
];

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(() => db.close());

test('no column check counts a repetition beyond a few characters', async () => {
  const rows = await db.owner<{ conname: string; def: string }[]>`
    select conname, pg_get_constraintdef(oid) as def from pg_constraint where contype = 'c'`;
  assert.ok(rows.length > 100, 'the schema has its checks');
  const counted = rows.filter((r) =>
    [...r.def.matchAll(/\{(\d+)(?:,(\d*))?\}/g)].some(
      (m) => Math.max(Number(m[1]), Number(m[2] || 0)) > REPETITION_COUNT_MAX || m[2] === '',
    ),
  );
  assert.deepEqual(
    counted.map((r) => `${r.conname}: ${r.def}`),
    [],
  );
});

/** Values around the old form's bounds: its prefix, then n class characters, n near a bound. */
function samples(old: string): (string | null)[] {
  const m = /^\^(.*?)\[([^\]]+)\]\{(\d+),?(\d*)\}\$$/.exec(old);
  assert.ok(m, `old form ${old} is ^prefix[class]{m,n}$`);
  const prefix = m[1]!.replace(/\[[^\]]+\]/g, 'a');
  const lo = Number(m[3]);
  const hi = Number(m[4] || m[3]);
  const counts = [0, 1, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, hi + 5].filter((n) => n >= 0);
  const out: (string | null)[] = [null, '', prefix];
  for (const n of counts) {
    for (const c of ['a', 'Z', '7', '-', '_', '.', '!', 'é', ' ']) {
      out.push(prefix + c.repeat(n), prefix + 'a'.repeat(Math.max(0, n - 1)) + c);
    }
    out.push(`x${prefix}${'a'.repeat(n)}`, `${prefix}${'a'.repeat(n)}\n`);
    out.push(prefix.toUpperCase() + 'a'.repeat(n), prefix.slice(1) + 'a'.repeat(n + 1));
  }
  return out;
}

test('each rewritten check accepts exactly what its old form accepted', async () => {
  const defs = new Map(
    (
      await db.owner<{ conname: string; def: string }[]>`
        select conname, pg_get_constraintdef(oid) as def from pg_constraint
        where contype = 'c' and conname = any(${REWRITTEN.map((r) => r[0])})`
    ).map((r) => [r.conname, r.def]),
  );
  for (const [name, column, old] of REWRITTEN) {
    const def = defs.get(name);
    assert.ok(def, `${name} exists`);
    assert.ok(!def.includes('{'), `${name} is rewritten: ${def}`);
    // The check's expression, on a value v: its column's name becomes v.
    const expression = def.replace(/^CHECK /, '').replace(new RegExp(`\\b${column}\\b`, 'g'), 'v');
    const values = samples(old);
    const rows = await db.owner.unsafe<{ i: number; was: boolean; now: boolean }[]>(
      `select i::int, coalesce(v ~ $2, true) as was, coalesce(${expression}, true) as now
       from unnest($1::text[]) with ordinality as t(v, i)`,
      [values as string[], old],
    );
    assert.equal(rows.length, values.length);
    const differ = rows.filter((r) => r.was !== r.now).map((r) => values[r.i - 1]);
    assert.deepEqual(differ, [], `${name}: old ${old} and new ${def} disagree`);
    assert.ok(
      rows.some((r) => r.was) && rows.some((r) => !r.was),
      `${name}: samples both pass and fail`,
    );
  }
});
