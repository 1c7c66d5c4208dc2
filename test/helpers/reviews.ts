import {
  hostedCardToken,
  walletPost,
  type PayPlatform,
  type WalletUser,
} from './payments-platform.ts';

// Review-queue fixtures: a live rule set that holds every top-up of at least `amount` for
// review (drafted by one analyst, approved by another, as a real promotion), and a customer
// with a linked card asking for such a top-up.

export const REVIEW_AMOUNT_MIN = 7_000;

/** Answers the version that went live. */
export async function holdTopupsFrom(p: PayPlatform, amount = REVIEW_AMOUNT_MIN): Promise<number> {
  const v = p.modules.risk.versions;
  const first = { operatorId: '0190a0a0-0000-7000-8000-0000000000a1' };
  const rules = {
    rules: [
      {
        id: 'hold_topups_for_review',
        kinds: ['topup'],
        when: { '>=': [{ var: 'amount' }, amount] },
        decision: 'review',
        reason: 'unusual_amount',
      },
    ],
  };
  const drafted = await v.draft(first, { rules, note: 'hold top-ups for the review tests' });
  await v.requestPromotion(first, drafted.version);
  await v.approvePromotion({ operatorId: '0190a0a0-0000-7000-8000-0000000000a2' }, drafted.version);
  p.modules.risk.rules.invalidate();
  return drafted.version;
}

/** Links a card and asks for a top-up; answers the top-up (status `held` when reviewed). */
export async function askTopup(p: PayPlatform, u: WalletUser, amount: number) {
  const token = await hostedCardToken(p, '4242424242424242');
  const link = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
  if (link.statusCode !== 200) throw new Error(`link: ${link.body}`);
  const res = await walletPost(p, u, '/v1/wallet/topups', 'topup', { amount, card_token: token });
  if (res.statusCode !== 200) throw new Error(`top-up: ${res.body}`);
  return res.json() as { id: string; status: string };
}

/** The open review of a subject (one at most). */
export async function reviewOf(p: PayPlatform, subjectId: string): Promise<string> {
  const [row] = await p.db.sql<{ id: string }[]>`
    select id from risk_reviews where subject_id = ${subjectId}`;
  if (!row) throw new Error(`no review for ${subjectId}`);
  return row.id;
}
