// Money: amounts as bigint minor units with an ISO 4217 currency.
//
// Glossary
// - minor unit: the smallest unit of a currency (1 yen, 1 cent); amounts count them.
// - scale: digits after the decimal point (JPY 0, USD 2, KWD 3).

export { MoneyError, formatAmount, isCurrency, parseAmount } from './money.ts';
