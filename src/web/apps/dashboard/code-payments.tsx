import { useState } from 'preact/hooks';
import { query } from '../../ui/api.ts';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, formValues, Select, Submit } from '../../ui/form.tsx';
import { dataMode, mcall, unixOf, type List } from './merchant.ts';
import { RefundForm } from './refund-form.tsx';
import { S } from './strings.ts';

// Wallet payments: taken at the registers with customers' one-time codes (cpm) or paid by
// customers scanning a store's QR (mpm). The list pages like card payments; one payment shows
// its refunds as a timeline and takes a refund of all or part.

interface CodePayment {
  id: string;
  method: 'cpm' | 'mpm';
  amount: string;
  amount_refunded: string;
  currency: string;
  status: string;
  store_id: string;
  terminal_id: string | null;
  created_at: string;
  refunds?: { data: Array<{ id: string; amount: string; currency: string; created_at: string }> };
}

const path = (id: string) => `/v1/code_payments/${encodeURIComponent(id)}`;

/** Wallet payments move real money: test data holds none, and the page says why. */
function TestKeyNotice() {
  const { t } = useT(S);
  return dataMode() === 'test' ? <Notice kind="info">{t('testKeyNoWallet')}</Notice> : null;
}

function CodePaymentDetail(props: { id: string }) {
  const { t, lang } = useT(S);
  const d = useLoad(() => mcall<CodePayment>(path(props.id)), [props.id]);
  const p = d.data;
  const events: Array<[string, string]> = p
    ? [
        [p.created_at, `${t('payment')} — ${yen(p.amount, lang, p.currency)}`] as [string, string],
        ...(p.refunds?.data ?? []).map((r): [string, string] => [
          r.created_at,
          `${t('refund')} — ${yen(r.amount, lang, r.currency)} (${r.id})`,
        ]),
      ].sort((a, b) => a[0].localeCompare(b[0]))
    : [];
  return (
    <>
      <a href="#/code-payments">← {t('back')}</a>
      <h1 class="mono">{t('paymentTitle', { id: props.id })}</h1>
      <TestKeyNotice />
      {d.error && <Notice kind="error">{d.error}</Notice>}
      {p && (
        <>
          <section class="card">
            <dl class="kv">
              <dt>{t('amount')}</dt>
              <dd>{yen(p.amount, lang, p.currency)}</dd>
              <dt>{t('refundedTotal')}</dt>
              <dd data-testid="amount-refunded">{yen(p.amount_refunded, lang, p.currency)}</dd>
              <dt>{t('method')}</dt>
              <dd>{p.method === 'cpm' ? t('methodCpm') : t('methodMpm')}</dd>
              <dt>{t('store')}</dt>
              <dd class="mono">{p.store_id}</dd>
              <dt>{t('terminal')}</dt>
              <dd class="mono">{p.terminal_id ?? '—'}</dd>
            </dl>
          </section>
          <section class="card">
            <h2>{t('timeline')}</h2>
            <ol data-testid="timeline">
              {events.map(([at, text]) => (
                <li>
                  <span class="muted">{dateTime(at, lang)}</span> — {text}
                </li>
              ))}
            </ol>
          </section>
          <RefundForm
            path={`${path(p.id)}/refunds`}
            remaining={Number(BigInt(p.amount) - BigInt(p.amount_refunded))}
            currency={p.currency}
            onDone={d.reload}
          />
        </>
      )}
    </>
  );
}

type Filters = Record<string, string | number | undefined>;

function CodePaymentsTable(props: { payments: CodePayment[] }) {
  const { t, lang } = useT(S);
  return (
    <div class="table-wrap">
      <table data-testid="code-payments">
        <thead>
          <tr>
            <th>{t('id')}</th>
            <th class="num">{t('amount')}</th>
            <th class="num">{t('refundedTotal')}</th>
            <th>{t('method')}</th>
            <th>{t('store')}</th>
            <th>{t('created')}</th>
          </tr>
        </thead>
        <tbody>
          {props.payments.map((p) => (
            <tr>
              <td class="mono">
                <a href={`#/code-payments/${p.id}`}>{p.id}</a>
              </td>
              <td class="num">{yen(p.amount, lang, p.currency)}</td>
              <td class="num">{yen(p.amount_refunded, lang, p.currency)}</td>
              <td>{p.method === 'cpm' ? t('methodCpm') : t('methodMpm')}</td>
              <td class="mono">{p.store_id}</td>
              <td>{dateTime(p.created_at, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CodePaymentsPage(props: { open?: string | undefined }) {
  const { t } = useT(S);
  const [find, setFind] = useState<string | undefined>();
  const [filters, setFilters] = useState<Filters>({ limit: 20 });
  const list = useLoad(
    () => mcall<List<CodePayment>>(`/v1/code_payments${query(filters)}`),
    [JSON.stringify(filters)],
  );
  const open = props.open ?? find;
  if (open) return <CodePaymentDetail id={open} />;
  const apply = (e: Event) => {
    const v = formValues(e);
    setFilters({
      limit: 20,
      method: v['method'] || undefined,
      'created[gte]': unixOf(v['from']),
      'created[lte]': unixOf(v['to'], true),
    });
  };
  const rows = list.data?.data ?? [];
  const last = rows[rows.length - 1];
  return (
    <>
      <h1>{t('codePayments')}</h1>
      <TestKeyNotice />
      <form class="card row" onSubmit={apply} noValidate>
        <Select
          name="method"
          label={t('method')}
          options={[
            ['', t('any')],
            ['cpm', t('methodCpm')],
            ['mpm', t('methodMpm')],
          ]}
        />
        <Field name="from" label={t('from')} type="date" />
        <Field name="to" label={t('to')} type="date" />
        <div>
          <Submit>{t('filter')}</Submit>
        </div>
      </form>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && <CodePaymentsTable payments={rows} />}
      {list.data && rows.length === 0 && <p class="muted">{t('none')}</p>}
      {list.data?.has_more && last && (
        <div class="actions">
          <button onClick={() => setFilters({ ...filters, starting_after: last.id })}>
            {t('next')}
          </button>
        </div>
      )}
      <form class="card row" onSubmit={(e) => setFind(formValues(e)['id'] || undefined)}>
        <Field name="id" label={t('codePaymentsFind')} />
        <div>
          <Submit>{t('open')}</Submit>
        </div>
      </form>
    </>
  );
}
