import { useState } from 'preact/hooks';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Field, formValues, Notice, Submit, useLoad } from '../../ui/kit.tsx';
import { RefundForm } from './payments.tsx';
import { mcall } from './merchant.ts';
import { S } from './strings.ts';

// Payments taken at the registers with customers' one-time codes: the list (when the API
// offers one), one payment with its refunds as a timeline, and a refund of all or part.

export interface CodePayment {
  id: string;
  amount: string;
  amount_refunded: string;
  currency: string;
  status: string;
  store_id: string;
  terminal_id: string;
  created_at: string;
  refunds?: { data: Array<{ id: string; amount: string; currency: string; created_at: string }> };
}

const path = (id: string) => `/v1/code_payments/${encodeURIComponent(id)}`;

function CodePaymentDetail(props: { id: string }) {
  const { t, lang } = useT(S);
  const d = useLoad(() => mcall<CodePayment>(path(props.id)), [props.id]);
  const p = d.data;
  const events: Array<[string, string]> = p
    ? [
        [p.created_at, `payment ${p.status} — ${yen(p.amount, lang, p.currency)}`] as [
          string,
          string,
        ],
        ...(p.refunds?.data ?? []).map((r): [string, string] => [
          r.created_at,
          `refund — ${yen(r.amount, lang, r.currency)} (${r.id})`,
        ]),
      ].sort((a, b) => a[0].localeCompare(b[0]))
    : [];
  return (
    <>
      <a href="#/code-payments">← {t('back')}</a>
      <h1 class="mono">{t('paymentTitle', { id: props.id })}</h1>
      {d.error && <Notice kind="error">{d.error}</Notice>}
      {p && (
        <>
          <section class="card">
            <dl class="kv">
              <dt>{t('amount')}</dt>
              <dd>{yen(p.amount, lang, p.currency)}</dd>
              <dt>{t('refundedTotal')}</dt>
              <dd data-testid="amount-refunded">{yen(p.amount_refunded, lang, p.currency)}</dd>
              <dt>{t('store')}</dt>
              <dd class="mono">{p.store_id}</dd>
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
            amountRequired
            onDone={d.reload}
          />
        </>
      )}
    </>
  );
}

export function CodePaymentsPage(props: { open?: string | undefined }) {
  const { t } = useT(S);
  const [find, setFind] = useState<string | undefined>();
  const open = props.open ?? find;
  if (open) return <CodePaymentDetail id={open} />;
  return (
    <>
      <h1>{t('codePayments')}</h1>
      <form class="card row" onSubmit={(e) => setFind(formValues(e)['id'] || undefined)}>
        <Field name="id" label={t('id')} />
        <div>
          <Submit>{t('filter')}</Submit>
        </div>
      </form>
      <p class="muted">{t('codePaymentsMissing')}</p>
    </>
  );
}
