import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';

// The console's incident API: every operator reads incidents; only risk analysts and
// security admins open them, move them forward, assign an owner and write notes; a move
// backwards is a named 409 and changes nothing.

test('operators open, work and read incidents by role; status only moves forward', async () => {
  const h = await harness();
  try {
    const support = await signedInOperator(h, 1, 'support');
    const analyst = await signedInOperator(h, 2, 'risk_analyst');
    const call = (
      headers: Record<string, string>,
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) => h.app.inject(payload ? { method, url, headers, payload } : { method, url, headers });
    const body = { title: 'Takeover wave', severity: 'high', summary: 'Top-ups from new devices' };
    assert.equal(
      (await call(support.headers, 'POST', '/v1/operator/incidents', body)).statusCode,
      403,
    );
    const opened = await call(analyst.headers, 'POST', '/v1/operator/incidents', body);
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json().id as string;
    assert.equal(opened.json().status, 'open');
    assert.deepEqual(
      opened.json().openers.map((o: { actor: { id: string } }) => o.actor.id),
      [analyst.id],
    );
    const url = `/v1/operator/incidents/${id}`;
    const move = (to: string) => call(analyst.headers, 'POST', `${url}/status`, { to });
    assert.equal(
      (await call(support.headers, 'POST', `${url}/status`, { to: 'contained' })).statusCode,
      403,
    );
    assert.equal((await move('contained')).json().status, 'contained');
    const back = await move('open');
    assert.equal(back.statusCode, 409);
    assert.equal(back.json().error.code, 'incident_transition_invalid');
    await call(analyst.headers, 'POST', `${url}/owner`, { owner_id: analyst.id });
    await call(analyst.headers, 'POST', `${url}/notes`, { text: 'Blocked 203.0.113.0/24' });
    const seen = await call(support.headers, 'GET', url);
    assert.equal(seen.statusCode, 200);
    assert.equal(seen.json().owner_id, analyst.id);
    // Who did what reads as the operator's name (signedInOperator names operator n "Op n").
    const analystName = `Op ${analyst.email.replace(/\D/g, '')}`;
    assert.equal(seen.json().owner_name, analystName);
    assert.deepEqual(
      seen.json().timeline.map((e: { actor: { name: string | null } }) => e.actor.name),
      [analystName, analystName, analystName, analystName],
    );
    assert.deepEqual(
      seen.json().timeline.map((e: { kind: string }) => e.kind),
      ['opened', 'status_changed', 'owner_changed', 'note'],
    );
    const list = await call(support.headers, 'GET', '/v1/operator/incidents?status=contained');
    assert.deepEqual(
      list.json().data.map((i: { id: string }) => i.id),
      [id],
    );
    assert.equal(list.json().data[0].owner_name, analystName);
    const missing = await call(
      support.headers,
      'GET',
      '/v1/operator/incidents/inc_nothinghere0000',
    );
    assert.equal(missing.statusCode, 404);
    const badNote = await call(analyst.headers, 'POST', `${url}/notes`, {
      text: '4242 4242 4242 4242',
    });
    assert.equal(badNote.json().error.code, 'card_data_not_allowed');
  } finally {
    await h.close();
  }
});
