import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as age from 'age-encryption';
import { dumpDatabase } from './helpers/cards.ts';
import { EXPORT_PANS, exportIncident } from './helpers/card-export.ts';

// The card export for card companies: one security admin requests it, another approves it,
// and the file downloaded decrypts — with the card company's age identity, and nothing Kinko
// holds — to the incident's cards with their full numbers and expiry. It is offered a limited
// number of times; each step is audited and on the timeline; the card-brand report links it;
// and no full number is anywhere in the clear: database, logs, audit, outbox, responses.

function spellings(pan: string): string[] {
  return [
    pan,
    pan.match(/.{4}/g)!.join(' '),
    pan.match(/.{4}/g)!.join('-'),
    Buffer.from(pan).toString('hex'),
    Buffer.from(pan).toString('base64').replace(/=+$/, ''),
  ];
}

test('a second operator approves; the file decrypts to the cards with the identity', async () => {
  const x = await exportIncident();
  const { h, base, first, second, support, analyst, call } = x;
  const responses: string[] = [];
  const keep = async (r: Promise<{ body: string; statusCode: number }>) => {
    const res = await r;
    responses.push(res.body);
    return res;
  };
  try {
    const identity = await age.generateIdentity();
    const recipient = await age.identityToRecipient(identity);
    const body = { recipient, reason: 'JCB and Visa asked for the cards to reissue them' };
    for (const who of [support, analyst]) {
      assert.equal((await call(who, 'POST', base, body)).statusCode, 403, 'security admins only');
    }
    const requested = await keep(call(first, 'POST', base, body));
    assert.equal(requested.statusCode, 201, requested.body);
    const e = JSON.parse(requested.body);
    assert.equal(e.state, 'requested');
    assert.equal(e.cards_requested, EXPORT_PANS.length);

    const approved = await keep(call(second, 'POST', `${base}/${e.id}/approve`, {}));
    assert.equal(approved.statusCode, 200, approved.body);
    const a = JSON.parse(approved.body);
    assert.equal(a.state, 'approved');
    assert.equal(a.cards_exported, EXPORT_PANS.length);
    assert.equal(a.approved_by, second.id);

    const got = await call(first, 'GET', `${base}/${e.id}/file`);
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.headers['cache-control'], 'no-store');
    const file = got.rawPayload;
    assert.equal(file.subarray(0, 21).toString(), 'age-encryption.org/v1', 'an age file');
    const d = new age.Decrypter();
    d.addIdentity(identity);
    const csv = await d.decrypt(file, 'text');
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'pan,expiry,brand,first_seen,last_seen');
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2]]).sort(),
      EXPORT_PANS.map((c) => [
        c.pan,
        `${String(c.expMonth).padStart(2, '0')}/${c.expYear}`,
        c.brand,
      ]).sort(),
    );
    for (const r of rows) assert.match(r[3]!, /^2026-04-01T10:1\d:00\.000Z$/);
    assert.ok(!csv.toLowerCase().includes('cvc') && !csv.toLowerCase().includes('cvv'));

    // A wrong identity opens nothing.
    const other = new age.Decrypter();
    other.addIdentity(await age.generateIdentity());
    await assert.rejects(other.decrypt(file));

    // Three downloads, then it is gone (and its ciphertext with it).
    for (const n of [2, 3]) {
      assert.equal((await call(second, 'GET', `${base}/${e.id}/file`)).statusCode, 200, `${n}`);
    }
    const gone = await call(first, 'GET', `${base}/${e.id}/file`);
    assert.equal(gone.statusCode, 410, gone.body);
    assert.equal(gone.json().error.code, 'card_export_unavailable');
    const [kept] = await h.db.owner`
      select ciphertext is null as dropped, downloads from vault_card_exports where id = ${e.id}`;
    assert.deepEqual({ ...kept }, { dropped: true, downloads: 3 });

    const list = await keep(call(second, 'GET', base));
    assert.equal(JSON.parse(list.body).data[0].state, 'used_up');

    const view = (await call(support, 'GET', `/v1/operator/incidents/${x.incidentId}`)).json();
    const kinds = view.timeline.map((ev: { kind: string }) => ev.kind);
    assert.deepEqual(
      kinds.filter((k: string) => k.startsWith('card_export.')),
      ['card_export.requested', 'card_export.approved', ...Array(3).fill('card_export.downloaded')],
    );
    const report = await keep(
      call(first, 'GET', `/v1/operator/incidents/${x.incidentId}/reports/card_brand`),
    );
    const linked = JSON.parse(report.body).card_exports;
    assert.deepEqual(linked, [
      {
        id: e.id,
        requested_at: e.requested_at,
        approved: true,
        url: `${base}/${e.id}/file`,
      },
    ]);
    const audit = await h.db.owner<{ action: string; actor_id: string }[]>`
      select action, actor_id from audit_entries where subject_id = ${e.id} order by id`;
    assert.deepEqual(
      audit.map((r) => r.action),
      [
        'vault.card_export.requested',
        'vault.card_export.approved',
        ...Array(3).fill('vault.card_export.downloaded'),
        'vault.card_export.downloaded',
      ],
    );

    // No full number in the clear anywhere Kinko writes or answers.
    const dump = await dumpDatabase(h.db);
    const logs = h.logs.text();
    const outbox = (await h.db.owner`select payload::text as t from outbox_events`)
      .map((r) => r['t'])
      .join('\n');
    const answered = responses.join('\n');
    for (const { pan } of EXPORT_PANS) {
      for (const s of spellings(pan)) {
        for (const [name, text] of Object.entries({ dump, logs, outbox, answered })) {
          assert.ok(!text.includes(s), `${pan} found in ${name} as ${s}`);
        }
      }
    }
  } finally {
    await h.close();
  }
});
