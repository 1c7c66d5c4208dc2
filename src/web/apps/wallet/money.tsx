import type { AccountSummary } from './session.ts';

// Money screens: filled in against the payments API.

export function Home(_props: { account: AccountSummary }) {
  return <p>home</p>;
}
export function PayPage(_props: { account: AccountSummary }) {
  return <p>pay</p>;
}
export function ScanPage(_props: { account: AccountSummary }) {
  return <p>scan</p>;
}
export function TopUpPage(_props: { account: AccountSummary }) {
  return <p>topup</p>;
}
export function HistoryPage() {
  return <p>history</p>;
}
export function LimitsPage(_props: { account: AccountSummary }) {
  return <p>limits</p>;
}
