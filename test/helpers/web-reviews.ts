import type { TestPlatform } from './platform.ts';

// Web payments held for review: a live rule set (drafted by one analyst, approved by another)
// that sends every web payment of at least `reviewFrom` yen to the review queue, asks for
// 3-D Secure from `stepUpFrom` and blocks from `blockFrom`, so that each decision path can be
// taken by amount alone.

export const WEB_REVIEW_FROM = 30_000;
export const WEB_STEP_UP_FROM = 20_000;
export const WEB_BLOCK_FROM = 900_000;

export async function holdWebPaymentsFrom(api: TestPlatform): Promise<number> {
  const v = api.modules.risk.versions;
  const rules = {
    rules: [
      {
        id: 'web_block_huge',
        kinds: ['web_payment'],
        when: { '>=': [{ var: 'amount' }, WEB_BLOCK_FROM] },
        decision: 'block',
        reason: 'unusual_amount',
      },
      {
        id: 'web_review_large',
        kinds: ['web_payment'],
        when: { '>=': [{ var: 'amount' }, WEB_REVIEW_FROM] },
        decision: 'review',
        reason: 'unusual_amount',
      },
      {
        id: 'web_step_up_medium',
        kinds: ['web_payment'],
        when: { '>=': [{ var: 'amount' }, WEB_STEP_UP_FROM] },
        decision: 'step_up',
        reason: 'unusual_amount',
      },
    ],
  };
  const analyst = { operatorId: '0190a0a0-0000-7000-8000-0000000000c1' };
  const { version } = await v.draft(analyst, { rules, note: 'web payment review tests' });
  await v.requestPromotion(analyst, version);
  await v.approvePromotion({ operatorId: '0190a0a0-0000-7000-8000-0000000000c2' }, version);
  api.modules.risk.rules.invalidate();
  return version;
}

/** The review of a subject (one at most). */
export async function webReviewOf(api: TestPlatform, paymentId: string) {
  const [row] = await api.db.sql<{ id: string; status: string; merchant_id: string | null }[]>`
    select id, status, merchant_id from risk_reviews where subject_id = ${paymentId}`;
  if (!row) throw new Error(`no review for ${paymentId}`);
  return row;
}
