import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, FormError, formValues, Select, Submit, useForm } from '../../ui/form.tsx';
import {
  OPERATIONS,
  SCOPE_TYPES,
  type Operation,
  type ScopeType,
} from '../../../lib/suspensions.ts';
import type { Role } from './role.ts';
import { S } from './strings.ts';

// The kill-switch panel: what is suspended now, since when, by whom and why; a security admin
// turns a switch on, asks for one to be lifted, or approves another admin's request (never
// their own: the server refuses that too). Every operator sees the panel; support answers
// the customers a switch refuses.

interface Switch {
  id: string;
  operation: Operation;
  scope: { type: ScopeType; value: string | null };
  status: 'on' | 'lift_requested' | 'lifted';
  reason: string;
  incident_id: string | null;
  turned_on_by: string;
  turned_on_at: string;
  lift_requested_by: string | null;
  lift_reason: string | null;
  lifted_by: string | null;
  lifted_at: string | null;
  names: Record<string, string>;
}

interface Me {
  operator_id: string;
  role: Role;
}

const who = (s: Switch, id: string | null) => (id ? (s.names[id] ?? id) : '');

export function SwitchesPage(props: { me: Me }) {
  const { t } = useT(S);
  const list = useLoad(() => call<{ on: Switch[]; lifted: Switch[] }>('/v1/operator/switches'));
  const admin = props.me.role === 'security_admin';
  return (
    <section class="switches">
      <h1>{t('switchesTitle')}</h1>
      <p class="muted">{t('switchesNote')}</p>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <h2>{t('switchesOn')}</h2>
      {list.data && list.data.on.length === 0 && <p>{t('noSwitchesOn')}</p>}
      {list.data && list.data.on.length > 0 && (
        <SwitchTable rows={list.data.on} me={props.me} admin={admin} onChange={list.reload} />
      )}
      {admin && <TurnOn onDone={list.reload} />}
      {list.data && list.data.lifted.length > 0 && (
        <>
          <h2>{t('recentlyLifted')}</h2>
          <SwitchTable rows={list.data.lifted} me={props.me} admin={false} onChange={list.reload} />
        </>
      )}
    </section>
  );
}

function SwitchTable(props: { rows: Switch[]; me: Me; admin: boolean; onChange(): void }) {
  const { t } = useT(S);
  const lifted = props.rows.some((s) => s.status === 'lifted');
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t('operation')}</th>
            <th>{t('scope')}</th>
            <th>{t('since')}</th>
            <th>{t('by')}</th>
            <th>{t('reason')}</th>
            <th>{t('incident')}</th>
            <th>{lifted ? t('lifted') : t('status')}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((s) => (
            <SwitchRow s={s} me={props.me} admin={props.admin} onChange={props.onChange} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SwitchRow(props: { s: Switch; me: Me; admin: boolean; onChange(): void }) {
  const { t, lang } = useT(S);
  const { s } = props;
  const scope = t(`sc_${s.scope.type}`) + (s.scope.value ? `: ${s.scope.value}` : '');
  return (
    <tr data-switch={s.id}>
      <td>{t(`op_${s.operation}`)}</td>
      <td class="mono">{scope}</td>
      <td>{dateTime(s.turned_on_at, lang)}</td>
      <td>{who(s, s.turned_on_by)}</td>
      <td>{s.reason}</td>
      <td class="mono">{s.incident_id ?? ''}</td>
      <td>
        {s.status === 'lifted' ? (
          `${dateTime(s.lifted_at, lang)} · ${who(s, s.lifted_by)}`
        ) : (
          <LiftCell s={s} me={props.me} admin={props.admin} onChange={props.onChange} />
        )}
      </td>
    </tr>
  );
}

function LiftCell(props: { s: Switch; me: Me; admin: boolean; onChange(): void }) {
  const { t } = useT(S);
  const { s } = props;
  const [reason, setReason] = useState('');
  const form = useForm();
  const post = (step: string, body: object) =>
    form.run(async () => {
      await call(`/v1/operator/switches/${s.id}/${step}`, { body });
      props.onChange();
    });
  const asked = s.lift_requested_by !== null;
  const mine = s.lift_requested_by === props.me.operator_id;
  return (
    <div class="lift">
      <strong>{t(`sw_${s.status}`)}</strong>
      {asked && (
        <p class="muted">
          {t('liftRequestedBy', { who: who(s, s.lift_requested_by), reason: s.lift_reason ?? '' })}
        </p>
      )}
      <FormError form={form} />
      {props.admin && !asked && (
        <>
          <input
            aria-label={`${t('liftReason')} ${s.id}`}
            placeholder={t('liftReason')}
            maxLength={500}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button
            disabled={form.busy || reason.trim().length < 3}
            onClick={() => void post('lift_request', { reason })}
          >
            {t('requestLift')}
          </button>
        </>
      )}
      {props.admin && asked && !mine && (
        <button disabled={form.busy} onClick={() => void post('lift_approval', {})}>
          {t('approveLift')}
        </button>
      )}
      {props.admin && mine && <p class="muted">{t('liftWaits')}</p>}
    </div>
  );
}

function TurnOn(props: { onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [done, setDone] = useState(false);
  const submit = (e: Event) => {
    const v = formValues(e);
    setDone(false);
    void form.run(async () => {
      const value = v['scope_value']?.trim();
      await call('/v1/operator/switches', {
        body: {
          operation: v['operation'],
          scope: { type: v['scope_type'], ...(value ? { value } : {}) },
          reason: v['reason'],
          ...(v['incident_id']?.trim() ? { incident_id: v['incident_id'].trim() } : {}),
        },
      });
      (e.target as HTMLFormElement).reset();
      setDone(true);
      props.onDone();
    }, ['operation', 'scope', 'reason', 'incident_id']);
  };
  const head = (
    <>
      <h2>{t('turnOnTitle')}</h2>
      {done && <Notice kind="ok">{t('turnedOn')}</Notice>}
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <Select
        name="operation"
        label={t('operation')}
        options={OPERATIONS.map((o) => [o, t(`op_${o}`)])}
      />
      <Select
        name="scope_type"
        label={t('scope')}
        options={SCOPE_TYPES.map((c) => [c, t(`sc_${c}`)])}
      />
      <Field
        name="scope_value"
        label={t('scopeValue')}
        hint={t('scopeValueHint')}
        maxLength={200}
      />
      <Field name="reason" label={t('reason')} required maxLength={500} />
      <Field name="incident_id" label={t('incidentId')} maxLength={64} />
      <Submit busy={form.busy}>{t('turnOn')}</Submit>
    </FormCard>
  );
}
