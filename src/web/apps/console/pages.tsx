import { useState } from 'preact/hooks';
import { ApiError, call } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Submit, useForm } from '../../ui/form.tsx';
import { AuditTrail, type AuditFilter } from './audit.tsx';
import { CspReports } from './csp.tsx';
import { StuffingDetections } from './detections.tsx';
import {
  consoleError,
  CustomerCard,
  isCustomerQuery,
  lookupCustomer,
  type CustomerView,
} from './customer.tsx';
import type { Role } from './role.ts';
import { S } from './strings.ts';

// Console pages: look up a customer (by id, email or phone), merchant or payment with its
// audit trail; freeze and unfreeze a customer; run audit verify; credential-stuffing and
// lockout events.

/** Finds a customer by id, email or phone, or any other subject's audit trail by its id. */
export function LookupPage(props: { role: Role }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [query, setQuery] = useState<string | undefined>();
  const [customer, setCustomer] = useState<CustomerView | undefined>();
  const [missing, setMissing] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  // Bumped after a change so that the trail below is read again and shows it.
  const [version, setVersion] = useState(0);
  const find = (q: string) =>
    form.run(async () => {
      setCustomer(undefined);
      setMissing(undefined);
      setQuery(q);
      if (!isCustomerQuery(q)) return;
      try {
        setCustomer((await lookupCustomer(q)).customer);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
        setMissing(consoleError(err, lang));
      }
    });
  const submit = (e: Event) => {
    setNotice(undefined);
    const q = formValues(e)['query'];
    if (q) void find(q);
  };
  const changed = (what: 'frozen' | 'unfrozen') => {
    setNotice(t(what));
    setVersion((v) => v + 1);
    if (customer) void find(customer.id);
  };
  // Entries about the customer (or the id typed) as their subject.
  const subject = customer?.id ?? (query && !isCustomerQuery(query) ? query : undefined);
  const filter: AuditFilter | undefined = subject ? { subject_id: subject } : undefined;
  return (
    <>
      <h1>{t('lookupTitle')}</h1>
      <FormCard form={form} onSubmit={submit}>
        <Field name="query" label={t('lookupId')} hint={t('lookupHint')} required />
        <Submit>{t('find')}</Submit>
      </FormCard>
      {missing && <Notice kind="info">{missing}</Notice>}
      {customer && (
        <CustomerCard c={customer} role={props.role} notice={notice} onChanged={changed} />
      )}
      {filter && (
        <>
          <h2>{t('auditTitle')}</h2>
          <AuditTrail key={`${subject}:${version}`} initial={filter} showFilters={false} />
        </>
      )}
    </>
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
      <StuffingDetections />
      <CspReports />
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
