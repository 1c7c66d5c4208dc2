import { ApiError, call } from '../../ui/api.ts';
import { dateTime, useT, type Lang } from '../../ui/i18n.tsx';
import { errorText, Notice } from '../../ui/kit.tsx';
import { Field, Form, FormError, formValues, Submit, useForm } from '../../ui/form.tsx';
import type { Role } from './role.ts';
import { S } from './strings.ts';

// A customer as operators see it (contacts masked by the API), with freeze and unfreeze.
// Both take a reason; unfreezing is for security admins other than the one who froze.

export interface CustomerView {
  id: string;
  email: string;
  phone: string;
  status: string;
  money_hold_until: string | null;
  created_at: string;
  frozen_at: string | null;
  frozen_by: string | null;
  frozen_reason: string | null;
  devices: number;
  sessions: number;
}

interface Lookup {
  matched_by: 'customer_id' | 'email' | 'phone';
  customer: CustomerView;
}

/** What the console looks up as a customer: a UUID, an email address or a phone number. */
export function isCustomerQuery(q: string): boolean {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return uuid.test(q) || q.includes('@') || /^[+0][\d\s().-]{6,}$/.test(q);
}

export function lookupCustomer(query: string): Promise<Lookup> {
  return call<Lookup>('/v1/operator/customers/lookup', { body: { query } });
}

const CODES = [
  'customer_not_found',
  'lookup_query_invalid',
  'account_already_frozen',
  'account_not_frozen',
  'unfreeze_needs_second_operator',
  'operator_access_denied',
  'card_data_not_allowed',
] as const;

/** The console's own words for the API's answers it expects, in the reader's language. */
export function consoleError(err: unknown, lang: Lang): string {
  const code = err instanceof ApiError ? err.code : '';
  const known = (CODES as readonly string[]).includes(code);
  return known ? S[code as (typeof CODES)[number]][lang === 'ja' ? 1 : 0] : errorText(err, lang);
}

function ReasonForm(props: { id: string; action: 'freeze' | 'unfreeze'; onDone(): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    const path = `/v1/operator/customers/${encodeURIComponent(props.id)}/${props.action}`;
    void form.run(async () => {
      try {
        await call(path, { body: { reason: v['reason'] ?? '' } });
      } catch (err) {
        // The reason field gets the API's field error; the rest is said in the console's words.
        if (err instanceof ApiError && err.param) throw err;
        throw new ApiError(0, { code: 'console', message: consoleError(err, lang) });
      }
      props.onDone();
    }, ['reason']);
  };
  const danger = props.action === 'freeze';
  return (
    <Form class="actions-form" form={form} onSubmit={submit}>
      <FormError form={form} />
      <Field
        name="reason"
        label={t(danger ? 'freezeReason' : 'unfreezeReason')}
        hint={t(danger ? 'freezeHint' : 'unfreezeHint')}
        required
        maxLength={500}
      />
      <Submit kind={danger ? 'danger' : 'primary'}>{t(danger ? 'freeze' : 'unfreeze')}</Submit>
    </Form>
  );
}

function FreezeState(props: { c: CustomerView }) {
  const { t, lang } = useT(S);
  const c = props.c;
  if (c.status !== 'frozen') return null;
  return (
    <>
      <dt>{t('frozenAt')}</dt>
      <dd>{dateTime(c.frozen_at, lang)}</dd>
      <dt>{t('frozenBy')}</dt>
      <dd class="mono">{c.frozen_by ?? t('frozenBySelf')}</dd>
      <dt>{t('reason')}</dt>
      <dd data-testid="frozen-reason">{c.frozen_reason ?? '—'}</dd>
    </>
  );
}

export function CustomerCard(props: {
  c: CustomerView;
  role: Role;
  notice?: string | undefined;
  onChanged(what: 'frozen' | 'unfrozen'): void;
}) {
  const { t, lang } = useT(S);
  const c = props.c;
  const frozen = c.status === 'frozen';
  const statusText = (status: string) =>
    status === 'active' || status === 'frozen' || status === 'deleted'
      ? t(`status_${status}`)
      : status;
  return (
    <section class="card" aria-labelledby="customer-h">
      <h2 id="customer-h">{t('customer')}</h2>
      <dl class="kv">
        <dt>ID</dt>
        <dd class="mono">{c.id}</dd>
        <dt>{t('status')}</dt>
        <dd data-testid="customer-status">
          <span class={c.status === 'active' ? 'pill ok' : 'pill bad'}>{statusText(c.status)}</span>
        </dd>
        <dt>{t('emailMasked')}</dt>
        <dd>{c.email}</dd>
        <dt>{t('phone')}</dt>
        <dd>{c.phone}</dd>
        <dt>{t('created')}</dt>
        <dd>{dateTime(c.created_at, lang)}</dd>
        <dt>{t('hold')}</dt>
        <dd>{dateTime(c.money_hold_until, lang)}</dd>
        <FreezeState c={c} />
      </dl>
      {props.notice && <Notice kind="ok">{props.notice}</Notice>}
      {!frozen && props.role !== 'support' && (
        <ReasonForm id={c.id} action="freeze" onDone={() => props.onChanged('frozen')} />
      )}
      {frozen && props.role === 'security_admin' && (
        <ReasonForm id={c.id} action="unfreeze" onDone={() => props.onChanged('unfrozen')} />
      )}
    </section>
  );
}
