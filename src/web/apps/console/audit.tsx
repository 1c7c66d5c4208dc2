import { useEffect, useState } from 'preact/hooks';
import { call, query } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { errorText, Notice } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Submit, useForm } from '../../ui/form.tsx';
import { S } from './strings.ts';

// The audit trail as operators read it: filters (subject, actor, action), oldest first,
// paged with the after_seq cursor the API returns.

interface AuditEntryView {
  seq: string;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  subject: { type: string; id: string | null } | null;
  source_ip: string | null;
  request_id: string | null;
  outcome: string;
  detail: unknown;
}

export interface AuditFilter {
  subject_type?: string;
  subject_id?: string;
  actor_type?: string;
  actor_id?: string;
  action?: string;
}

interface Page {
  data: AuditEntryView[];
  next_after_seq: string | null;
}

function fetchEntries(filter: AuditFilter, afterSeq?: string): Promise<Page> {
  return call<Page>(`/v1/operator/audit/entries${query({ ...filter, after_seq: afterSeq })}`);
}

function EntriesTable(props: { entries: AuditEntryView[] }) {
  const { t, lang } = useT(S);
  if (props.entries.length === 0) return <p class="muted">{t('none')}</p>;
  const pill = (o: string) => (o === 'success' ? 'pill ok' : 'pill bad');
  return (
    <div class="table-wrap">
      <table data-testid="audit-entries">
        <thead>
          <tr>
            <th class="num">{t('seq')}</th>
            <th>{t('at')}</th>
            <th>{t('action')}</th>
            <th>{t('actor')}</th>
            <th>{t('subject')}</th>
            <th>{t('outcome')}</th>
            <th>{t('detail')}</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr>
              <td class="num">{e.seq}</td>
              <td>{dateTime(e.at, lang)}</td>
              <td class="mono">{e.action}</td>
              <td class="mono">
                {e.actor.type}
                {e.actor.id ? ` ${e.actor.id}` : ''}
              </td>
              <td class="mono">{e.subject ? `${e.subject.type} ${e.subject.id ?? ''}` : '—'}</td>
              <td>
                <span class={pill(e.outcome)}>{e.outcome}</span>
              </td>
              <td class="mono">
                <small>{JSON.stringify(e.detail)}</small>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A filtered trail with "load more"; `initial` runs a search at once when given. */
export function AuditTrail(props: { initial?: AuditFilter; showFilters?: boolean }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [filter, setFilter] = useState<AuditFilter | undefined>();
  const [entries, setEntries] = useState<AuditEntryView[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | undefined>();
  const load = async (f: AuditFilter, after?: string) => {
    const page = await fetchEntries(f, after);
    setEntries((old) => (after ? [...old, ...page.data] : page.data));
    setNext(page.next_after_seq);
    setFilter(f);
  };
  const initialKey = JSON.stringify(props.initial ?? null);
  useEffect(() => {
    setLoadError(undefined);
    if (props.initial) load(props.initial).catch((e: unknown) => setLoadError(errorText(e, lang)));
  }, [initialKey]);
  const submit = (e: Event) => {
    const v = formValues(e);
    const f: AuditFilter = {};
    for (const k of ['subject_type', 'subject_id', 'actor_type', 'actor_id', 'action'] as const) {
      if (v[k]) f[k] = v[k];
    }
    void form.run(() => load(f), Object.keys(v));
  };
  return (
    <section>
      {props.showFilters !== false && (
        <FormCard form={form} onSubmit={submit}>
          <div class="row">
            <Field name="subject_type" label={t('subjectType')} />
            <Field name="subject_id" label={t('subjectId')} />
            <Field name="actor_type" label={t('actorType')} />
            <Field name="actor_id" label={t('actorId')} />
            <Field name="action" label={t('action')} />
          </div>
          <Submit>{t('search')}</Submit>
        </FormCard>
      )}
      {loadError && <Notice kind="error">{loadError}</Notice>}
      {filter && <EntriesTable entries={entries} />}
      {filter && next && (
        <div class="actions">
          <button onClick={() => void load(filter, next)}>{t('more')}</button>
        </div>
      )}
    </section>
  );
}
