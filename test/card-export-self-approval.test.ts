import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as age from 'age-encryption';
import { exportIncident } from './helpers/card-export.ts';
import { signedInOperator } from './helpers/operators.ts';

// Dual control of the card export, attacked: the operator who requested an export cannot
// approve it (the code refuses, and the database would refuse the row too); an export not
// yet approved downloads nothing and produced nothing; an expired one gives nothing and its
// ciphertext is dropped. Each refusal is audited.

test('the requester cannot approve their own card export', async () => {
  const { h, base, first, second, call } = await exportIncident();
  try {
    const recipient = await age.identityToRecipient(await age.generateIdentity());
    const requested = await call(first, 'POST', base, { recipient, reason: 'Visa asked' });
    assert.equal(requested.statusCode, 201, requested.body);
    const id = requested.json().id as string;

    const self = await call(first, 'POST', `${base}/${id}/approve`, {});
    assert.equal(self.statusCode, 409, self.body);
    assert.equal(self.json().error.code, 'card_export_needs_second_operator');
    const download = await call(first, 'GET', `${base}/${id}/file`);
    assert.equal(download.statusCode, 409, download.body);
    assert.equal(download.json().error.code, 'card_export_not_approved');
    assert.ok(!download.rawPayload.includes('age-encryption.org'), 'nothing downloaded');

    const [row] = await h.db.owner`
      select approved_by, ciphertext, downloads from vault_card_exports where id = ${id}`;
    assert.deepEqual({ ...row }, { approved_by: null, ciphertext: null, downloads: 0 });
    const refused = await h.db.owner<{ action: string; outcome: string; actor_id: string }[]>`
      select action, outcome, actor_id from audit_entries
      where subject_id = ${id} and outcome <> 'success' order by id`;
    assert.deepEqual(
      refused.map((r) => [r.action, r.outcome, r.actor_id]),
      [
        ['vault.card_export.approved', 'denied', first.id],
        ['vault.card_export.downloaded', 'denied', first.id],
      ],
    );

    // The database holds the rule too: the serving role cannot write a self-approval.
    await assert.rejects(
      h.db.sql`update vault_card_exports set approved_by = requested_by,
        approved_at = now(), cards_exported = 1 where id = ${id}`,
      /check constraint/,
    );

    const ok = await call(second, 'POST', `${base}/${id}/approve`, {});
    assert.equal(ok.statusCode, 200, ok.body);
    const again = await call(first, 'POST', `${base}/${id}/approve`, {});
    assert.equal(again.json().error.code, 'card_export_already_approved');
    // Nor can an approval be rewritten afterwards to name someone else.
    await assert.rejects(
      h.db.sql`update vault_card_exports set approved_by = ${first.id} where id = ${id}`,
      /approved once|check constraint/,
    );
  } finally {
    await h.close();
  }
});

test('an expired card export gives nothing and drops its ciphertext', async () => {
  const { h, base, first, second, call } = await exportIncident();
  try {
    const recipient = await age.identityToRecipient(await age.generateIdentity());
    const id = (await call(first, 'POST', base, { recipient, reason: 'JCB asked' })).json().id;
    assert.equal((await call(second, 'POST', `${base}/${id}/approve`, {})).statusCode, 200);
    h.clock.advanceMs(h.limits.vaultCardExportSecondsMax * 1000 + 1);
    // Sessions end long before an export does; a fresh sign-in.
    const later = await signedInOperator(h, 5, 'security_admin');
    const late = await call(later, 'GET', `${base}/${id}/file`);
    assert.equal(late.statusCode, 410, late.body);
    const [row] = await h.db.owner`
      select ciphertext is null as dropped from vault_card_exports where id = ${id}`;
    assert.equal(row!['dropped'], true);
    const bad = await call(later, 'POST', base, { recipient: 'age1notakey', reason: 'x-y-z' });
    assert.equal(bad.json().error.code, 'card_export_recipient_invalid');
  } finally {
    await h.close();
  }
});
