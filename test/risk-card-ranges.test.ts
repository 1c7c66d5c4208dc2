import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { riskBinTableCommand } from '../src/risk/index.ts';
import { promoteRules } from './helpers/risk-rules.ts';
import {
  hostedCardToken,
  payPlatform,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// The card range (BIN) table reaches the rules: loaded with `kinko risk bin-table load`
// (the shipped test-card table), the vault's BIN of a linked card gives `card_funding` and
// `card_country`. A rule blocks prepaid cards and steps up Japanese ones; unfed, both
// signals read `unknown` and every link would succeed without a word.

function cli(p: PayPlatform, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  return riskBinTableCommand(p.modules.risk, args, io).then((code) => ({ code, out, err }));
}

test('a loaded BIN table gives a card its funding and country', async () => {
  const p = await payPlatform();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kinko-bins-'));
  try {
    await promoteRules(p, [
      {
        id: 'link_prepaid',
        kinds: ['card_link'],
        when: { '==': [{ var: 'card_funding' }, 'prepaid'] },
        decision: 'block',
        reason: 'prepaid_card',
      },
      {
        id: 'link_japanese',
        kinds: ['card_link'],
        when: { '==': [{ var: 'card_country' }, 'JP'] },
        decision: 'step_up',
        reason: 'new_device_recent',
      },
    ]);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'bin_low,bin_high,country,funding,brand\n424242,424242,US,gold,visa\n');
    const refused = await cli(p, ['load', bad]);
    assert.equal(refused.code, 1);
    assert.match(refused.err.join('\n'), /^risk_bin_table_invalid: line 2: funding must be/);
    assert.equal((await cli(p, ['load'])).code, 2);
    const loaded = await cli(p, ['load', 'src/risk/card-ranges-test-cards.csv']);
    assert.deepEqual(loaded, { code: 0, out: ['loaded 10 card ranges (replaced 0)'], err: [] });

    const u = await walletUser(p, 1);
    const link = async (pan: string) => {
      const token = await hostedCardToken(p, pan);
      const res = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
      const [row] = await p.db.sql<{ decision: string; funding: string; country: string }[]>`
        select decision, signals->>'card_funding' as funding, signals->>'card_country' as country
        from risk_decisions where kind = 'card_link' and subject_id = ${token}`;
      return { status: res.statusCode, body: res.json(), row: row && { ...row } };
    };
    const prepaid = await link('5105105105105100');
    assert.equal(prepaid.status, 403);
    assert.equal(prepaid.body.error.code, 'risk_card_link_blocked');
    assert.equal(prepaid.body.error.reason, 'Prepaid cards are checked more closely.');
    assert.deepEqual(prepaid.row, { decision: 'block', funding: 'prepaid', country: 'US' });
    // Fresh from signing up, the customer's strong factor passes the step-up.
    const jcb = await link('3566002020360505');
    assert.equal(jcb.status, 200);
    assert.deepEqual(jcb.row, { decision: 'step_up', funding: 'credit', country: 'JP' });
    // A card in no range: unknown, nothing fires.
    assert.equal((await link('4111111111111111')).status, 200);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await p.close();
  }
});
