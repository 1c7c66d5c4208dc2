// Reason codes and the plain words a customer sees for each. A rule names one of these codes;
// the customer is told the words, never the rule (which would teach an attacker the policy).
// A rule set naming a code not listed here is refused when it is drafted.

export const REASONS: Readonly<Record<string, string>> = Object.freeze({
  new_device_recent: 'A new phone was added to your account recently.',
  security_change_recent:
    'Your password, contact details or sign-in methods were changed recently.',
  foreign_source: 'You appear to be connecting from outside Japan.',
  shared_device: 'This phone has been used with several Kinko accounts.',
  shared_card: 'This card is linked to other Kinko accounts.',
  prepaid_card: 'Prepaid cards are checked more closely.',
  foreign_card: 'Cards issued outside Japan are checked more closely.',
  unusual_amount: 'This amount is much larger than your usual payments.',
  rapid_topups: 'Several top-ups were made in a short time.',
  rapid_payments: 'Several payments were made in a short time.',
  daily_spend_high: 'You have spent an unusual amount today.',
  high_resale_goods: 'Large payments for this kind of goods are checked more closely.',
  busy_register: 'This register is taking an unusual number of payments.',
  busy_network: 'Many accounts are being used from the network you are on.',
  new_account: 'Your account is new.',
  account_frozen: 'Your account is frozen.',
});

/** The words for a customer; an unknown code (an older version's) gets a general sentence. */
export function reasonWords(code: string | null): string {
  if (code === null) return '';
  return REASONS[code] ?? 'This payment needs an extra check.';
}
