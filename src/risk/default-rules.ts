import type { RuleSetData } from './engine.ts';

// The rule set Kinko ships: inserted as version 1 (live) when risk_rule_sets is empty, so it
// is what runs out of the box (rulebook.ts adds it beside an older live set as a draft).
// Analysts change rules by drafting a new version, never by editing this file on a running
// system. Built from the 7pay 2019 pattern (../shared/incidents/7pay-2019-attack-pattern.md)
// and tuned with bench:fraud (docs/fraud-bench.md) on seeds 1–3 of both shipped scenarios: a
// taken-over account acts from a phone bound minutes or hours before, tops up, and spends on
// easily resold goods, with mules paying several accounts from one phone. The abroad rules
// came later (checked on seeds 1–5 at 2,000 customers, reported on 6–10): a takeover from
// overseas networks, as 7pay's was.
// Two choices follow from how decisions act. Money enters a wallet only through top-ups, so
// the firm rules hold top-ups (review). On a payment, review lets the money move (flagged)
// and outranks step_up, so payment rules only step up or block: a review there would let
// through the payment a step-up would have stopped.

const v = (name: string) => ({ var: name });
/** Bound less than a day ago: a customer's new phone, or a taker-over's. */
const newDevice = { '<': [v('device_age_minutes'), 1440] };
/**
 * A phone bound in the last day to an account older than a day: how a takeover looks (and
 * a customer's new phone). A new customer's first phone is not this: signing up proved the
 * contacts and factors, and holding every newcomer's first top-up for a person would hold
 * nearly all of them.
 */
const newDeviceOnOldAccount = { and: [newDevice, { '>=': [v('account_age_days'), 1] }] };
const PAYMENTS = ['code_payment', 'store_payment', 'web_payment'] as const;
/**
 * From outside Japan (the loaded address table) within a day of a security change or a new
 * phone: how a takeover from abroad looks (7pay 2019: logins from overseas networks), and
 * rare for a customer, who seldom changes phones or passwords while travelling.
 */
const abroadAfterChange = {
  and: [
    { '!': v('source_home') },
    { or: [{ '<': [v('security_change_minutes'), 1440] }, newDeviceOnOldAccount] },
  ],
};

const TOPUP_RULES: RuleSetData['rules'] = [
  {
    id: 'topup_new_device',
    kinds: ['topup'],
    when: newDeviceOnOldAccount,
    decision: 'review',
    reason: 'new_device_recent',
    description: 'A top-up from a device bound in the last day to an account older than a day.',
  },
  {
    id: 'topup_after_security_change',
    kinds: ['topup'],
    when: {
      and: [{ '<': [v('security_change_minutes'), 1440] }, { '>=': [v('amount'), 10_000] }],
    },
    decision: 'review',
    reason: 'security_change_recent',
    description: 'A top-up of ¥10,000 or more within a day of a recovery or factor change.',
  },
  {
    id: 'topup_burst',
    kinds: ['topup'],
    when: { '>=': [v('customer_count_1m'), 2] },
    decision: 'review',
    reason: 'rapid_topups',
    description: 'A third top-up within a minute.',
  },
  {
    id: 'topups_hour',
    kinds: ['topup'],
    when: { '>=': [v('customer_count_1h'), 5] },
    decision: 'step_up',
    reason: 'rapid_topups',
    description: 'A sixth top-up within an hour.',
  },
  {
    id: 'shared_device',
    kinds: ['topup'],
    when: { '>=': [v('device_accounts'), 3] },
    decision: 'review',
    reason: 'shared_device',
    description: 'A top-up from a device on which three or more accounts were bound.',
  },
  {
    id: 'shared_card',
    kinds: ['topup', 'card_link'],
    when: { '>=': [v('card_other_customers'), 2] },
    decision: 'review',
    reason: 'shared_card',
    description: 'A card already linked by two or more other customers.',
  },
  {
    id: 'abroad_after_change',
    kinds: ['topup'],
    when: abroadAfterChange,
    decision: 'review',
    reason: 'foreign_source',
    description:
      'A top-up from outside Japan within a day of a security change or a new phone, any amount.',
  },
  {
    id: 'abroad_after_change_confirm',
    // Confirming a phone: step_up refuses a text-message code (a swapped SIM receives it)
    // and asks the authenticator or a passkey; linking a card or paying at a store with the
    // QR code: a fresh strong factor.
    kinds: ['device_confirm', 'card_link', 'store_payment'],
    when: abroadAfterChange,
    decision: 'step_up',
    reason: 'foreign_source',
    description:
      'From outside Japan within a day of a security change or a new phone: a strong factor.',
  },
  {
    id: 'busy_network_new_device',
    kinds: ['topup', 'card_link', 'device_confirm'],
    when: { and: [{ '>=': [v('source_accounts_1d'), 20] }, newDevice] },
    decision: 'review',
    reason: 'busy_network',
    description: 'From a device bound today, on a network twenty or more customers used today.',
  },
];

const PAYMENT_RULES: RuleSetData['rules'] = [
  {
    id: 'pay_new_device',
    kinds: [...PAYMENTS],
    when: newDevice,
    decision: 'step_up',
    reason: 'new_device_recent',
    description: 'A payment from a device bound in the last day.',
  },
  {
    id: 'shared_new_device',
    kinds: ['topup', ...PAYMENTS],
    when: { and: [newDevice, { '>=': [v('device_accounts'), 2] }] },
    decision: 'block',
    reason: 'shared_device',
    description: 'From a device bound today on which two or more accounts were bound.',
  },
  {
    id: 'spend_topup_at_once',
    kinds: [...PAYMENTS],
    when: {
      and: [
        newDevice,
        { '>=': [v('customer_topup_yen_1h'), 30_000] },
        { '>=': [v('amount'), 30_000] },
      ],
    },
    decision: 'block',
    reason: 'new_device_recent',
    description: '¥30,000 or more from a device bound today, within an hour of such top-ups.',
  },
  {
    id: 'payments_minute',
    kinds: [...PAYMENTS],
    when: { '>=': [v('customer_count_1m'), 5] },
    decision: 'step_up',
    reason: 'rapid_payments',
    description: 'A sixth payment within a minute.',
  },
  {
    id: 'payments_burst',
    kinds: [...PAYMENTS],
    when: { '>=': [v('customer_count_1m'), 20] },
    decision: 'block',
    reason: 'rapid_payments',
    description: 'A twenty-first payment within a minute.',
  },
  {
    id: 'daily_spend',
    kinds: [...PAYMENTS],
    when: { '>': [{ '+': [v('customer_yen_1d'), v('amount')] }, 500_000] },
    decision: 'step_up',
    reason: 'daily_spend_high',
    description: 'Payments over ¥500,000 in a day.',
  },
  {
    id: 'unusual_amount',
    // Not web payments: a shopper has no Kinko history, so every large one would match.
    kinds: ['topup', 'store_payment'],
    when: { and: [{ '>=': [v('amount_ratio_30d'), 10] }, { '>=': [v('amount'), 50_000] }] },
    decision: 'step_up',
    reason: 'unusual_amount',
    description: '¥50,000 or more and ten times the largest amount of the last 30 days.',
  },
  {
    id: 'device_codes_minute',
    kinds: ['code_issue'],
    when: { '>=': [v('device_count_1m'), 10] },
    decision: 'block',
    reason: 'rapid_payments',
    description: 'An eleventh payment code from one device within a minute.',
  },
];

export const DEFAULT_RULE_SET: RuleSetData = { rules: [...TOPUP_RULES, ...PAYMENT_RULES] };
