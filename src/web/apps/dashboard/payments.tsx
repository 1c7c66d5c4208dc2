import { useState } from 'preact/hooks';
import { query } from '../../ui/api.ts';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, formValues, Select, Submit } from '../../ui/form.tsx';
import { isoOfUnix, mcall, unixOf, type List } from './merchant.ts';
import { RefundForm } from './refund-form.tsx';
import { S } from './strings.ts';

// Payments and refunds: lists with filters and cursor paging, a payment's timeline (built
// from the payment, its refunds and its balance transactions), and refunds, all or part.

interface Payment {
  id: string;
  amount: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  status: string;
  description: string | null;
  created: number;
}

interface Refund {
  id: string;
  payment: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  created: number;
}

interface BalanceTxn {
  id: string;
  type: string;
  source: string;
  amount: number;
  currency: string;
  created: number;
}

const STATUSES = [
  'succeeded',
  'requires_capture',
  'requires_action',
  'processing',
  'canceled',
  'requires_payment_method',
];

function statusPill(status: string) {
  const ok = status === 'succeeded';
  const bad = status === 'canceled' || status === 'failed';
  return <span class={ok ? 'pill ok' : bad ? 'pill bad' : 'pill'}>{status}</span>;
}

type Filters = Record<string, string | number | undefined>;

function PaymentsTable(props: { payments: Payment[] }) {
  const { t, lang } = useT(S);
  return (
    <div class="table-wrap">
      <table data-testid="payments">
        <thead>
          <tr>
            <th>{t('id')}</th>
            <th class="num">{t('amount')}</th>
            <th>{t('status')}</th>
            <th>{t('description')}</th>
            <th>{t('created')}</th>
          </tr>
        </thead>
        <tbody>
          {props.payments.map((p) => (
            <tr>
              <td class="mono">
                <a href={`#/payments/${p.id}`}>{p.id}</a>
              </td>
              <td class="num">{yen(p.amount, lang, p.currency)}</td>
              <td>{statusPill(p.status)}</td>
              <td>{p.description ?? ''}</td>
              <td>{dateTime(isoOfUnix(p.created), lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PaymentsPage(props: { open?: string }) {
  const { t, lang } = useT(S);
  const [filters, setFilters] = useState<Filters>({ limit: 20 });
  const list = useLoad(
    () => mcall<List<Payment>>(`/v1/payments${query(filters)}`),
    [JSON.stringify(filters)],
  );
  if (props.open) return <PaymentDetail id={props.open} />;
  const apply = (e: Event) => {
    const v = formValues(e);
    setFilters({
      limit: 20,
      status: v['status'] || undefined,
      'created[gte]': unixOf(v['from']),
      'created[lte]': unixOf(v['to'], true),
    });
  };
  const last = list.data?.data[list.data.data.length - 1];
  return (
    <>
      <h1>{t('cardPayments')}</h1>
      <form class="card row" onSubmit={apply} noValidate>
        <Select
          name="status"
          label={t('status')}
          options={[['', t('any')], ...STATUSES.map((s): [string, string] => [s, s])]}
        />
        <Field name="from" label={t('from')} type="date" />
        <Field name="to" label={t('to')} type="date" />
        <div>
          <Submit>{t('filter')}</Submit>
        </div>
      </form>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && <PaymentsTable payments={list.data.data} />}
      {list.data?.data.length === 0 && <p class="muted">{t('none')}</p>}
      {list.data?.has_more && last && (
        <div class="actions">
          <button onClick={() => setFilters({ ...filters, starting_after: last.id })}>
            {t('next')}
          </button>
        </div>
      )}
    </>
  );
}

interface Detail {
  payment: Payment;
  refunds: Refund[];
  txns: BalanceTxn[];
}

async function loadDetail(id: string): Promise<Detail> {
  const [payment, refunds, txns] = await Promise.all([
    mcall<Payment>(`/v1/payments/${encodeURIComponent(id)}`),
    mcall<List<Refund>>(`/v1/refunds${query({ payment: id, limit: 100 })}`),
    mcall<List<BalanceTxn>>(`/v1/balance_transactions${query({ limit: 100 })}`),
  ]);
  const mine = new Set([id, ...refunds.data.map((r) => r.id)]);
  return { payment, refunds: refunds.data, txns: txns.data.filter((b) => mine.has(b.source)) };
}

function Timeline(props: { detail: Detail }) {
  const { lang } = useT(S);
  const { payment, refunds, txns } = props.detail;
  const events: Array<[number, string]> = [
    [payment.created, `payment created — ${yen(payment.amount, lang, payment.currency)}`],
    ...txns.map((b): [number, string] => [
      b.created,
      `${b.type} ${yen(b.amount, lang, b.currency)} (${b.id})`,
    ]),
    ...refunds.map((r): [number, string] => [
      r.created,
      `refund ${r.status} — ${yen(r.amount, lang, r.currency)} (${r.id})`,
    ]),
  ];
  events.sort((a, b) => a[0] - b[0]);
  return (
    <ol data-testid="timeline">
      {events.map(([at, text]) => (
        <li>
          <span class="muted">{dateTime(isoOfUnix(at), lang)}</span> — {text}
        </li>
      ))}
    </ol>
  );
}

function PaymentDetail(props: { id: string }) {
  const { t, lang } = useT(S);
  const d = useLoad(() => loadDetail(props.id), [props.id]);
  const p = d.data?.payment;
  return (
    <>
      <a href="#/payments">← {t('back')}</a>
      <h1 class="mono">{t('paymentTitle', { id: props.id })}</h1>
      {d.error && <Notice kind="error">{d.error}</Notice>}
      {p && d.data && (
        <>
          <section class="card">
            <dl class="kv">
              <dt>{t('amount')}</dt>
              <dd>{yen(p.amount, lang, p.currency)}</dd>
              <dt>{t('status')}</dt>
              <dd>{statusPill(p.status)}</dd>
              <dt>{t('received')}</dt>
              <dd>{yen(p.amount_received, lang, p.currency)}</dd>
              <dt>{t('refundedTotal')}</dt>
              <dd data-testid="amount-refunded">{yen(p.amount_refunded, lang, p.currency)}</dd>
            </dl>
          </section>
          <section class="card">
            <h2>{t('timeline')}</h2>
            <Timeline detail={d.data} />
          </section>
          <RefundForm
            path={`/v1/payments/${encodeURIComponent(p.id)}/refunds`}
            remaining={p.amount_received - p.amount_refunded}
            currency={p.currency}
            onDone={d.reload}
          />
        </>
      )}
    </>
  );
}

interface CodeRefund {
  id: string;
  payment_id: string;
  amount: string;
  currency: string;
  status: string;
  reason: string | null;
  created_at: string;
}

/** One row of the refunds page: a card refund or a refund of a register or QR payment. */
interface RefundRow {
  id: string;
  payment: string;
  link: string;
  kind: 'card' | 'code';
  amount: string | number;
  currency: string;
  status: string;
  reason: string | null;
  at: string;
}

async function loadRefunds(payment: string | undefined): Promise<RefundRow[]> {
  const q = query({ limit: 50, payment });
  const [card, code] = await Promise.all([
    mcall<List<Refund>>(`/v1/refunds${q}`),
    mcall<List<CodeRefund>>(`/v1/code_refunds${q}`),
  ]);
  const rows: RefundRow[] = [
    ...card.data.map((r): RefundRow => ({
      ...r,
      link: `#/payments/${r.payment}`,
      kind: 'card',
      at: isoOfUnix(r.created),
    })),
    ...code.data.map((r): RefundRow => ({
      ...r,
      payment: r.payment_id,
      link: `#/code-payments/${r.payment_id}`,
      kind: 'code',
      at: r.created_at,
    })),
  ];
  return rows.sort((x, y) => y.at.localeCompare(x.at));
}

export function RefundsPage() {
  const { t, lang } = useT(S);
  const [payment, setPayment] = useState<string | undefined>();
  const list = useLoad(() => loadRefunds(payment), [payment]);
  return (
    <>
      <h1>{t('navRefunds')}</h1>
      <form class="card row" onSubmit={(e) => setPayment(formValues(e)['payment'] || undefined)}>
        <Field name="payment" label={t('payment')} />
        <div>
          <Submit>{t('filter')}</Submit>
        </div>
      </form>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <div class="table-wrap">
        <table data-testid="refunds">
          <thead>
            <tr>
              <th>{t('id')}</th>
              <th>{t('payment')}</th>
              <th>{t('kind')}</th>
              <th class="num">{t('amount')}</th>
              <th>{t('status')}</th>
              <th>{t('reason')}</th>
              <th>{t('created')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((r) => (
              <tr>
                <td class="mono">{r.id}</td>
                <td class="mono">
                  <a href={r.link}>{r.payment}</a>
                </td>
                <td>{r.kind === 'card' ? t('kindCard') : t('kindCode')}</td>
                <td class="num">{yen(r.amount, lang, r.currency)}</td>
                <td>{statusPill(r.status)}</td>
                <td>{r.reason ?? ''}</td>
                <td>{dateTime(r.at, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data?.length === 0 && <p class="muted">{t('none')}</p>}
    </>
  );
}

const TYPE_LABEL: Record<string, keyof typeof S> = {
  payment: 'typePayment',
  refund: 'typeRefund',
  code_payment: 'typeCodePayment',
  store_payment: 'typeStorePayment',
  wallet_refund: 'typeWalletRefund',
};

/** Where a balance transaction's source is shown: its payment's page. */
function sourceLink(b: BalanceTxn): string | undefined {
  if (b.type === 'payment') return `#/payments/${b.source}`;
  if (b.type === 'code_payment' || b.type === 'store_payment') return `#/code-payments/${b.source}`;
  return undefined;
}

export function BalancePage() {
  const { t, lang } = useT(S);
  const list = useLoad(() => mcall<List<BalanceTxn>>(`/v1/balance_transactions?limit=100`));
  const rows = list.data?.data ?? [];
  const total = rows.reduce((sum, b) => sum + BigInt(b.amount), 0n);
  return (
    <>
      <h1>{t('balanceTitle')}</h1>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && (
        <p class="card" data-testid="balance-total">
          {t('balanceNow')}: <strong>{yen(total, lang)}</strong>
        </p>
      )}
      <div class="table-wrap">
        <table data-testid="balance">
          <thead>
            <tr>
              <th>{t('id')}</th>
              <th>{t('type')}</th>
              <th>{t('source')}</th>
              <th class="num">{t('amount')}</th>
              <th>{t('created')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => {
              const label = TYPE_LABEL[b.type];
              const link = sourceLink(b);
              return (
                <tr>
                  <td class="mono">{b.id}</td>
                  <td>{label ? t(label) : b.type}</td>
                  <td class="mono">{link ? <a href={link}>{b.source}</a> : b.source}</td>
                  <td class="num">{yen(b.amount, lang, b.currency)}</td>
                  <td>{dateTime(isoOfUnix(b.created), lang)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {list.data && rows.length === 0 && <p class="muted">{t('none')}</p>}
    </>
  );
}
