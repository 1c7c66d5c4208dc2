import { useState } from 'preact/hooks';
import { ApiError, call } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Field, formValues, Notice, Submit, useForm, useLoad } from '../../ui/kit.tsx';
import { AuditTrail, type AuditFilter } from './audit.tsx';
import { S } from './strings.ts';

// Console pages: look up a customer, merchant or payment with its audit trail; freeze a
// customer; run audit verify; credential-stuffing and lockout events.

export type Role = 'support' | 'risk_analyst' | 'security_admin';

interface CustomerView {
  id?: string;
  customer_id?: string;
  email: string;
  phone: string;
  status: string;
  money_hold_until: string | null;
  created_at: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function CustomerCard(props: { id: string; role: Role }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [frozen, setFrozen] = useState(false);
  const c = useLoad(
    () => call<CustomerView>(`/v1/operator/customers/${encodeURIComponent(props.id)}`),
    [props.id, frozen],
  );
  const freeze = () => {
    if (!confirm(t('freezeConfirm'))) return;
    void form.run(async () => {
      await call(`/v1/operator/customers/${encodeURIComponent(props.id)}/freeze`, { body: {} });
      setFrozen(true);
    });
  };
  if (c.error) return <Notice kind="info">{t('noCustomer')}</Notice>;
  if (!c.data) return null;
  return (
    <section class="card" aria-labelledby="customer-h">
      <h2 id="customer-h">{t('customer')}</h2>
      <dl class="kv">
        <dt>ID</dt>
        <dd class="mono">{props.id}</dd>
        <dt>{t('status')}</dt>
        <dd data-testid="customer-status">{c.data.status}</dd>
        <dt>{t('emailMasked')}</dt>
        <dd>{c.data.email}</dd>
        <dt>{t('phone')}</dt>
        <dd>{c.data.phone}</dd>
        <dt>{t('created')}</dt>
        <dd>{dateTime(c.data.created_at, lang)}</dd>
        <dt>{t('hold')}</dt>
        <dd>{dateTime(c.data.money_hold_until, lang)}</dd>
      </dl>
      {frozen && <Notice kind="ok">{t('frozen')}</Notice>}
      {form.general && <Notice kind="error">{form.general}</Notice>}
      {props.role !== 'support' && c.data.status !== 'frozen' && (
        <div class="actions">
          <button class="danger" disabled={form.busy} onClick={freeze}>
            {t('freeze')}
          </button>
        </div>
      )}
    </section>
  );
}

export function LookupPage(props: { role: Role }) {
  const { t } = useT(S);
  const [id, setId] = useState<string | undefined>();
  const submit = (e: Event) => setId(formValues(e)['id'] || undefined);
  // Entries about the id as their subject; a customer's own actions name it as the actor.
  const filter: AuditFilter | undefined = id ? { subject_id: id } : undefined;
  return (
    <>
      <h1>{t('lookupTitle')}</h1>
      <form class="card" onSubmit={submit} noValidate>
        <Field name="id" label={t('lookupId')} hint={t('lookupHint')} required />
        <Submit>{t('find')}</Submit>
      </form>
      {id && UUID.test(id) && <CustomerCard id={id} role={props.role} />}
      {id && filter && (
        <>
          <h2>{t('auditTitle')}</h2>
          <AuditTrail initial={filter} showFilters={false} />
        </>
      )}
    </>
  );
}

type VerifyResult =
  { ok: true; entries: string; checkpoints: number } | { ok: false; seq: string; problem: string };

export function VerifyPage() {
  const { t } = useT(S);
  const form = useForm();
  const [result, setResult] = useState<VerifyResult | undefined>();
  const run = () =>
    form.run(async () => {
      setResult(undefined);
      setResult(await call<VerifyResult>('/v1/operator/audit/verify', { body: {} }));
    });
  return (
    <section class="card">
      <h1>{t('verifyTitle')}</h1>
      <p>{t('verifyIntro')}</p>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <button class="primary" disabled={form.busy} onClick={() => void run()}>
        {t('runVerify')}
      </button>
      {result?.ok === true && (
        <Notice kind="ok">
          {t('verifyOk', { entries: result.entries, checkpoints: String(result.checkpoints) })}
        </Notice>
      )}
      {result?.ok === false && (
        <Notice kind="error">{t('verifyBad', { seq: result.seq, problem: result.problem })}</Notice>
      )}
    </section>
  );
}

interface Sources {
  sources: Array<{
    source_prefix: string;
    failures: number;
    blocked_until: string | null;
    detected_at: string | null;
  }>;
}

function ThrottledSources() {
  const { t, lang } = useT(S);
  const list = useLoad(() => call<Sources>('/v1/operator/throttled-sources'));
  if (list.error) {
    return <Notice kind="error">{list.error}</Notice>;
  }
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t('network')}</th>
            <th class="num">{t('failures')}</th>
            <th>{t('blockedUntil')}</th>
            <th>{t('detected')}</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.sources.map((s) => (
            <tr>
              <td class="mono">{s.source_prefix}</td>
              <td class="num">{s.failures}</td>
              <td>{dateTime(s.blocked_until, lang)}</td>
              <td>{dateTime(s.detected_at, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const EVENT_ACTIONS = [
  ['stuffing', 'identity.stuffing.detected'],
  ['locked', 'identity.operator.locked'],
  ['disabled', 'identity.password.disabled'],
  ['loginFailed', 'identity.login.failed'],
] as const;

export function EventsPage() {
  const { t } = useT(S);
  const [action, setAction] = useState<string>(EVENT_ACTIONS[0][1]);
  return (
    <>
      <h1>{t('eventsTitle')}</h1>
      <h2>{t('throttled')}</h2>
      <ThrottledSources />
      <div class="actions" role="group" aria-label={t('action')}>
        {EVENT_ACTIONS.map(([label, a]) => (
          <button aria-pressed={action === a} onClick={() => setAction(a)}>
            {t(label)}
          </button>
        ))}
      </div>
      <AuditTrail initial={{ action }} showFilters={false} />
    </>
  );
}

export function isDenied(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'operator_access_denied';
}
