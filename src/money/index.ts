// Money: amounts as bigint minor units with an ISO 4217 currency.
//
// Glossary
// - minor unit: the smallest unit of a currency (1 yen, 1 cent); amounts count them.
// - scale: digits after the decimal point (JPY 0, USD 2, KWD 3).

export {
  type AmountMinor,
  type Currency,
  AMOUNT_MINOR_MAX,
  MoneyError,
  amountMinor,
  currency,
  displayAmount,
  formatAmount,
  isCurrency,
  parseAmount,
} from './money.ts';
