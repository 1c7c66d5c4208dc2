import { useState } from 'preact/hooks';
import { call, query } from '../../ui/api.ts';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, FormError, formValues, Submit, useForm } from '../../ui/form.tsx';
import { CardExportSection } from './card-export.tsx';
import type { Role } from './role.ts';
import { S } from './strings.ts';
import {
  CompensationSection,
  NoticesSection,
  ScopeSection,
  SwitchesTaken,
} from './incident-response.tsx';

// Incidents: the list, and one incident's page with its status, owner, timeline (newest
// first), notes, the latest scope run with its exports and the regulators' reports. Every
// operator reads them; the roles the server lets manage incidents (risk analysts and
// security admins) also move them forward, take them and write notes. Exports and report
// downloads are links: the server records each one on the timeline before handing it out.
// Security admins also see the card export for card companies (card-export.tsx).

const STATUSES = ['open', 'contained', 'resolved', 'closed'] as const;
type Status = (typeof STATUSES)[number];
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];
const REPORTS = ['ppc_preliminary', 'ppc_final', 'card_brand', 'public_notice'] as const;
/** The roles OPERATOR_ACCESS lets change, export and report on incidents. */
const MANAGERS: readonly Role[] = ['risk_analyst', 'security_admin'];

interface Incident {
  id: string;
  title: string;
  severity: Severity;
  status: Status;
  summary: string;
  owner_id: string | null;
  owner_name: string | null;
  signals: number;
  opened_at: string;
}

interface TimelineEvent {
  seq: string;
  at: string;
  actor: { type: string; id: string | null; name: string | null };
  kind: string;
  detail: Record<string, unknown>;
}

const base = (id: string) => `/v1/operator/incidents/${encodeURIComponent(id)}`;

/** The list, or one incident when the route names it (#/incidents/inc_…). */
export function IncidentsPage(props: { role: Role; operatorId: string; route: string }) {
  const id = props.route.split('/')[2];
  const who = { role: props.role, operatorId: props.operatorId };
  return id ? <IncidentView key={id} id={id} {...who} /> : <IncidentList />;
}

function IncidentList() {
  const { t, lang } = useT(S);
  const [status, setStatus] = useState<Status | undefined>();
  const list = useLoad(
    () => call<{ data: Incident[] }>(`/v1/operator/incidents${query({ status })}`),
    [status],
  );
  const rows = list.data?.data ?? [];
  return (
    <section class="incidents">
      <h1>{t('incidentsTitle')}</h1>
      <div class="actions" role="group" aria-label={t('status')}>
        <button aria-pressed={status === undefined} onClick={() => setStatus(undefined)}>
          {t('allIncidents')}
        </button>
        {STATUSES.map((s) => (
          <button aria-pressed={status === s} onClick={() => setStatus(s)}>
            {t(`is_${s}`)}
          </button>
        ))}
      </div>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && rows.length === 0 && <p>{t('noIncidents')}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('status')}</th>
                <th>{t('severity')}</th>
                <th>{t('incidentTitle')}</th>
                <th>{t('owner')}</th>
                <th>{t('opened')}</th>
                <th class="num">{t('signals')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-incident={r.id}>
                  <td>{t(`is_${r.status}`)}</td>
                  <td>{t(`sev_${r.severity}`)}</td>
                  <td>
                    <a href={`#/incidents/${r.id}`}>{r.title}</a>
                  </td>
                  <td>{r.owner_name ?? r.owner_id ?? t('noOwner')}</td>
                  <td>{dateTime(r.opened_at, lang)}</td>
                  <td class="num">{r.signals}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && rows.length > 0 && <p class="muted">{t('incidentsNote')}</p>}
    </section>
  );
}

type View = Incident & { timeline: TimelineEvent[] };

function IncidentView(props: { id: string; role: Role; operatorId: string }) {
  const { t } = useT(S);
  const view = useLoad(() => call<View>(base(props.id)), [props.id]);
  const manage = MANAGERS.includes(props.role);
  if (view.error) return <Notice kind="error">{view.error}</Notice>;
  const v = view.data;
  if (!v) return <p class="muted">{t('loadingIncident')}</p>;
  return (
    <section class="incident" data-incident={v.id}>
      <p>
        <a href="#/incidents">{t('backToIncidents')}</a>
      </p>
      <h1>{v.title}</h1>
      <p class="mono">{v.id}</p>
      <p>{v.summary}</p>
      <Header v={v} manage={manage} onChange={view.reload} />
      {!manage && <Notice kind="info">{t('readOnlyIncident')}</Notice>}
      <h2>{t('timeline')}</h2>
      {manage && <AddNote id={v.id} onDone={view.reload} />}
      <Timeline events={v.timeline} />
      <ScopeSection id={v.id} canRun={manage} />
      <NoticesSection id={v.id} canSend={manage} />
      <CompensationSection
        id={v.id}
        events={v.timeline}
        canManage={manage}
        onChange={view.reload}
      />
      <SwitchesTaken events={v.timeline} />
      {props.role === 'security_admin' && (
        <CardExportSection
          id={v.id}
          operatorId={props.operatorId}
          names={namesOf(v.timeline)}
          onChange={view.reload}
        />
      )}
      {manage && <Reports id={v.id} />}
    </section>
  );
}

function Header(props: { v: View; manage: boolean; onChange(): void }) {
  const { t, lang } = useT(S);
  const { v } = props;
  const form = useForm();
  const [reason, setReason] = useState('');
  const next = STATUSES.slice(STATUSES.indexOf(v.status) + 1);
  const post = (step: string, body: object) =>
    form.run(async () => {
      await call(`${base(v.id)}/${step}`, { body });
      setReason('');
      props.onChange();
    });
  const take = (e: Event) => {
    const owner = formValues(e)['owner_id']?.trim();
    void post('owner', { owner_id: owner ? owner : null });
  };
  return (
    <div class="card incident-head">
      <dl class="kv">
        <dt>{t('status')}</dt>
        <dd data-status={v.status}>{t(`is_${v.status}`)}</dd>
        <dt>{t('severity')}</dt>
        <dd>{t(`sev_${v.severity}`)}</dd>
        <dt>{t('owner')}</dt>
        <dd>{v.owner_name ?? v.owner_id ?? t('noOwner')}</dd>
        <dt>{t('opened')}</dt>
        <dd>{dateTime(v.opened_at, lang)}</dd>
        <dt>{t('signals')}</dt>
        <dd>{v.signals}</dd>
      </dl>
      <FormError form={form} />
      {props.manage && next.length > 0 && (
        <div class="actions" role="group" aria-label={t('moveTo')}>
          <input
            aria-label={t('statusReason')}
            placeholder={t('statusReason')}
            maxLength={500}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          {next.map((to) => (
            <button
              disabled={form.busy}
              onClick={() => void post('status', { to, ...(reason.trim() ? { reason } : {}) })}
            >
              {t('moveToStatus', { status: t(`is_${to}`) })}
            </button>
          ))}
        </div>
      )}
      {props.manage && (
        <FormCard form={form} onSubmit={take}>
          <Field name="owner_id" label={t('ownerId')} hint={t('ownerHint')} maxLength={200} />
          <Submit busy={form.busy}>{t('setOwner')}</Submit>
        </FormCard>
      )}
    </div>
  );
}

/** Operators' names by id, as the timeline gives them. */
function namesOf(events: TimelineEvent[]): ReadonlyMap<string, string> {
  return new Map(
    events.flatMap((e) => (e.actor.id && e.actor.name ? [[e.actor.id, e.actor.name]] : [])),
  );
}

function AddNote(props: { id: string; onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const text = formValues(e)['text'] ?? '';
    void form.run(async () => {
      await call(`${base(props.id)}/notes`, { body: { text } });
      (e.target as HTMLFormElement).reset();
      props.onDone();
    }, ['text']);
  };
  return (
    <FormCard form={form} onSubmit={submit}>
      <Field name="text" label={t('noteText')} required maxLength={500} />
      <Submit busy={form.busy}>{t('addNote')}</Submit>
    </FormCard>
  );
}

/** What one event says, in the operator's words where the event carries them. */
function eventText(e: TimelineEvent, t: (k: keyof typeof S, v?: Record<string, string>) => string) {
  const d = e.detail;
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  if (e.kind === 'status_changed') {
    const move = `${t(`is_${str(d['from']) as Status}`)} → ${t(`is_${str(d['to']) as Status}`)}`;
    return d['reason'] ? `${move}: ${str(d['reason'])}` : move;
  }
  if (e.kind === 'owner_changed') return `${str(d['from']) || '—'} → ${str(d['to']) || '—'}`;
  return str(d['summary']) || str(d['detector']);
}

function Timeline(props: { events: TimelineEvent[] }) {
  const { t, lang } = useT(S);
  // The server sends the timeline oldest first; the team reads what happened last first.
  const events = [...props.events].sort((a, b) => (BigInt(b.seq) > BigInt(a.seq) ? 1 : -1));
  return (
    <ol class="timeline" aria-label={t('timeline')}>
      {events.map((e) => (
        <li data-seq={e.seq} data-kind={e.kind}>
          <span class="muted">{dateTime(e.at, lang)}</span> <strong>{e.kind}</strong>{' '}
          <span>{e.actor.name ?? e.actor.id ?? e.actor.type}</span>
          <p>{eventText(e, t)}</p>
        </li>
      ))}
    </ol>
  );
}

function Reports(props: { id: string }) {
  const { t } = useT(S);
  const href = (kind: string, format: string) =>
    `${base(props.id)}/reports/${kind}${query({ format, download: 'true' })}`;
  return (
    <section class="reports">
      <h2>{t('reports')}</h2>
      <p class="muted">{t('reportsNote')}</p>
      <ul>
        {REPORTS.map((kind) => (
          <li data-report={kind}>
            {t(`rep_${kind}`)}:{' '}
            <a href={href(kind, 'html')} download>
              {t('reportHtml')}
            </a>{' '}
            <a href={href(kind, 'json')} download>
              {t('reportJson')}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
