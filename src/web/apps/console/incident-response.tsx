import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, FormError, formValues, Submit, useForm } from '../../ui/form.tsx';
import { S } from './strings.ts';

// The incident page's response sections: scope (run it from indicators, read the latest run's
// customers, cards and merchants, export them), notices (send, counts per delivery state, the
// list, retry the failed ones), compensation (propose, a second operator approves, compensated
// against lost) and the kill switches taken for the incident. The server decides who may do
// what; a button the role may not use is not shown, and a refusal is shown as the API words it.

const base = (id: string) => `/v1/operator/incidents/${encodeURIComponent(id)}`;
const SCOPE_PARTS = ['customers', 'cards', 'merchants', 'topups', 'payments'] as const;
const STATES = ['queued', 'sent', 'delivered', 'failed'] as const;
const ROWS_SHOWN_MAX = 20;

interface Totals {
  customers: number;
  cards: number;
  merchants: number;
  topups: number;
  topup_minor: string;
  payments: number;
  payment_minor: string;
}
interface ScopeRun {
  id: string;
  run: number;
  totals: Totals;
  ran_at: string;
}
interface Summary {
  customers: { customer_id: string; how: string; payment_yen: string; topup_yen: string }[];
  cards: { brand: string; last4: string; uses: number; yen: string }[];
  merchants: { merchant_id: string; payments: number; stores: number; yen: string }[];
}

/** Splits a field's text into the list an indicator takes (commas, spaces or new lines). */
const listOf = (text: string | undefined) => (text ?? '').split(/[\s,]+/).filter(Boolean);

export function ScopeSection(props: { id: string; canRun: boolean }) {
  const { t, lang } = useT(S);
  const runs = useLoad(() => call<{ data: ScopeRun[] }>(`${base(props.id)}/scopes`), [props.id]);
  const s = runs.data?.data[0];
  const exp = (path: string) => `${base(props.id)}/scopes/${s?.id ?? ''}/${path}`;
  return (
    <section class="scope" aria-labelledby="scope-h">
      <h2 id="scope-h">{t('scopeTitle')}</h2>
      {props.canRun && <ScopeForm id={props.id} onDone={runs.reload} />}
      {runs.error && <Notice kind="error">{runs.error}</Notice>}
      {runs.data && !s && <p>{t('noScope')}</p>}
      {s && (
        <>
          <h3>{t('latestScope')}</h3>
          <p class="muted">{t('scopeRun', { run: String(s.run), at: dateTime(s.ran_at, lang) })}</p>
          <dl class="kv">
            <dt>{t('customers')}</dt>
            <dd data-total="customers">{s.totals.customers}</dd>
            <dt>{t('cards')}</dt>
            <dd>{s.totals.cards}</dd>
            <dt>{t('merchants')}</dt>
            <dd data-total="merchants">{s.totals.merchants}</dd>
            <dt>{t('topups')}</dt>
            <dd>{`${s.totals.topups} · ${yen(s.totals.topup_minor, lang)}`}</dd>
            <dt>{t('payments')}</dt>
            <dd>{`${s.totals.payments} · ${yen(s.totals.payment_minor, lang)}`}</dd>
          </dl>
          <ScopeRows id={props.id} scopeId={s.id} />
          {props.canRun && (
            <p class="actions">
              <a href={exp('export.json')} download>
                {t('exportJson')}
              </a>
              {SCOPE_PARTS.map((part) => (
                <a href={exp(`export/${part}`)} download>
                  {t('exportCsv', { part: t(part) })}
                </a>
              ))}
            </p>
          )}
        </>
      )}
    </section>
  );
}

function ScopeForm(props: { id: string; onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const now = new Date();
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const submit = (e: Event) => {
    const v = formValues(e);
    const body: Record<string, unknown> = {
      from: new Date(v['scope_from'] ?? '').toISOString(),
      to: new Date(v['scope_to'] ?? '').toISOString(),
    };
    const lists = {
      ip_ranges: 'scope_ips',
      device_ids: 'scope_devices',
      customer_ids: 'scope_customers',
      card_bins: 'scope_bins',
      merchant_ids: 'scope_merchants',
    };
    for (const [key, field] of Object.entries(lists)) {
      const items = listOf(v[field]);
      if (items.length > 0) body[key] = items;
    }
    void form.run(async () => {
      await call(`${base(props.id)}/scopes`, { body });
      props.onDone();
    }, []);
  };
  return (
    <FormCard form={form} onSubmit={submit} head={<p class="muted">{t('scopeFormNote')}</p>}>
      <Field name="scope_from" label={t('scopeFrom')} required value={dayAgo.toISOString()} />
      <Field name="scope_to" label={t('scopeTo')} required value={now.toISOString()} />
      <Field name="scope_ips" label={t('scopeIps')} placeholder="203.0.113.0/24" />
      <Field name="scope_devices" label={t('scopeDevices')} />
      <Field name="scope_customers" label={t('scopeCustomers')} />
      <Field name="scope_bins" label={t('scopeBins')} />
      <Field name="scope_merchants" label={t('scopeMerchants')} />
      <Submit busy={form.busy}>{t('runScope')}</Submit>
    </FormCard>
  );
}

function ScopeRows(props: { id: string; scopeId: string }) {
  const { t, lang } = useT(S);
  const url = `${base(props.id)}/scopes/${encodeURIComponent(props.scopeId)}`;
  const sum = useLoad(() => call<Summary>(url), [url]);
  const d = sum.data;
  if (!d) return sum.error ? <Notice kind="error">{sum.error}</Notice> : null;
  return (
    <div class="scope-rows">
      <h3>{t('customers')}</h3>
      <ul data-list="customers">
        {d.customers.slice(0, ROWS_SHOWN_MAX).map((c) => (
          <li>
            <span class="mono">{c.customer_id}</span> {c.how} · {yen(c.payment_yen, lang)}
          </li>
        ))}
      </ul>
      <h3>{t('cards')}</h3>
      <ul data-list="cards">
        {d.cards.slice(0, ROWS_SHOWN_MAX).map((c) => (
          <li>{`${c.brand} •••• ${c.last4} · ${c.uses} · ${yen(c.yen, lang)}`}</li>
        ))}
      </ul>
      <h3>{t('merchants')}</h3>
      <ul data-list="merchants">
        {d.merchants.slice(0, ROWS_SHOWN_MAX).map((m) => (
          <li>
            <span class="mono">{m.merchant_id}</span>{' '}
            {t('merchantLine', { payments: String(m.payments), stores: String(m.stores) })} ·{' '}
            {yen(m.yen, lang)}
          </li>
        ))}
      </ul>
    </div>
  );
}

type Counts = Record<(typeof STATES)[number], number>;
interface Overview {
  customers: { email: Counts; sms: Counts };
  merchants: { webhook: Counts & { no_endpoint: number }; email: Counts };
}
interface NoticeRow {
  ref: string;
  audience: string;
  recipient_id: string;
  channel: string;
  state: string;
  state_at: string;
  attempts: number;
  last_error: string | null;
}

export function NoticesSection(props: { id: string; canSend: boolean }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const counts = useLoad(() => call<Overview>(`${base(props.id)}/notices`), [props.id]);
  const list = useLoad(
    () => call<{ data: NoticeRow[] }>(`${base(props.id)}/notices/list`),
    [props.id],
  );
  const reload = () => {
    counts.reload();
    list.reload();
  };
  const send = (e: Event) => {
    const contact = formValues(e)['notice_contact'] ?? '';
    void form.run(async () => {
      await call(`${base(props.id)}/notices`, { body: { contact } });
      reload();
    }, []);
  };
  const retry = () =>
    void form.run(async () => {
      await call(`${base(props.id)}/notices/retry`, { body: {} });
      reload();
    }, []);
  const c = counts.data;
  const rows: CountRow[] = c
    ? [
        [t('noticeCustomerEmail'), c.customers.email],
        [t('noticeCustomerSms'), c.customers.sms],
        [t('noticeMerchantWebhook'), c.merchants.webhook],
        [t('noticeMerchantEmail'), c.merchants.email],
      ]
    : [];
  const failed = rows.reduce((n, [, r]) => n + r.failed, 0);
  return (
    <section class="notices" aria-labelledby="notices-h">
      <h2 id="notices-h">{t('noticesTitle')}</h2>
      {props.canSend && (
        <FormCard form={form} onSubmit={send} head={<p class="muted">{t('noticesNote')}</p>}>
          <Field name="notice_contact" label={t('noticeContact')} required maxLength={200} />
          <Submit busy={form.busy}>{t('sendNotices')}</Submit>
        </FormCard>
      )}
      {counts.error && <Notice kind="error">{counts.error}</Notice>}
      {c && <NoticeCounts rows={rows} />}
      {props.canSend && failed > 0 && (
        <p class="actions">
          <FormError form={form} />
          <button disabled={form.busy} onClick={retry}>
            {t('retryFailed', { n: String(failed) })}
          </button>
        </p>
      )}
      {list.data && <NoticeList rows={list.data.data} />}
    </section>
  );
}

type CountRow = [string, Counts & { no_endpoint?: number }];

function NoticeCounts(props: { rows: CountRow[] }) {
  const { t } = useT(S);
  const rows = props.rows;
  return (
    <div class="table-wrap">
      <table aria-label={t('noticeCounts')}>
        <thead>
          <tr>
            <th>{t('noticeChannel')}</th>
            {STATES.map((s) => (
              <th class="num">{t(`st_${s}`)}</th>
            ))}
            <th class="num">{t('st_no_endpoint')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, r]) => (
            <tr>
              <td>{label}</td>
              {STATES.map((s) => (
                <td class="num" data-state={s}>
                  {r[s]}
                </td>
              ))}
              <td class="num">{r.no_endpoint ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoticeList(props: { rows: NoticeRow[] }) {
  const { t, lang } = useT(S);
  const stateWord = (state: string) => t(`st_${state}` as `st_${(typeof STATES)[number]}`);
  if (props.rows.length === 0) return null;
  return (
    <ul class="notice-list">
      {props.rows.slice(0, ROWS_SHOWN_MAX).map((n) => (
        <li data-ref={n.ref} data-state={n.state}>
          <span class="mono">{n.recipient_id}</span> {n.channel} · {stateWord(n.state)}{' '}
          <span class="muted">{dateTime(n.state_at, lang)}</span>
          {n.last_error && <span class="muted"> · {n.last_error}</span>}
        </li>
      ))}
    </ul>
  );
}

interface TimelineEvent {
  seq: string;
  at: string;
  actor: { type: string; id: string | null; name?: string | null };
  kind: string;
  detail: Record<string, unknown>;
}

const inner = (e: TimelineEvent) => (e.detail['detail'] ?? {}) as Record<string, unknown>;

export function CompensationSection(props: {
  id: string;
  events: TimelineEvent[];
  canManage: boolean;
  onChange(): void;
}) {
  const { t, lang } = useT(S);
  const form = useForm();
  const totals = useLoad(
    () =>
      call<{ lost_minor: string; compensated_minor: string; proposals: number }>(
        `${base(props.id)}/compensations`,
      ),
    [props.id, props.events.length],
  );
  const proposals = props.events.filter((e) => e.kind === 'compensation.proposed');
  const approved = new Set(
    props.events
      .filter((e) => e.kind === 'compensation.posted')
      .map((e) => String(inner(e)['proposal'])),
  );
  const act = (path: string) =>
    void form.run(async () => {
      await call(`${base(props.id)}/compensations${path}`, { body: {} });
      props.onChange();
    }, []);
  return (
    <section class="compensation" aria-labelledby="comp-h">
      <h2 id="comp-h">{t('compensationTitle')}</h2>
      <FormError form={form} />
      {totals.data && (
        <dl class="kv">
          <dt>{t('lost')}</dt>
          <dd data-total="lost">{yen(totals.data.lost_minor, lang)}</dd>
          <dt>{t('compensated')}</dt>
          <dd data-total="compensated">{yen(totals.data.compensated_minor, lang)}</dd>
        </dl>
      )}
      {props.canManage && (
        <p class="actions">
          <button disabled={form.busy} onClick={() => act('')}>
            {t('proposeCompensation')}
          </button>
        </p>
      )}
      <ul class="proposals">
        {proposals.map((p) => (
          <Proposal
            p={p}
            posted={approved.has(p.seq)}
            canApprove={props.canManage}
            busy={form.busy}
            onApprove={() => act(`/${p.seq}/approve`)}
          />
        ))}
      </ul>
      <p class="muted">{t('compensationNote')}</p>
    </section>
  );
}

function Proposal(props: {
  p: TimelineEvent;
  posted: boolean;
  canApprove: boolean;
  busy: boolean;
  onApprove(): void;
}) {
  const { t, lang } = useT(S);
  const { p } = props;
  const d = inner(p);
  const items = (d['items'] as unknown[] | undefined)?.length ?? 0;
  return (
    <li data-proposal={p.seq}>
      {t('proposalLine', {
        seq: p.seq,
        who: p.actor.name ?? p.actor.id ?? p.actor.type,
        n: String(items),
        total: yen(String(d['total_minor'] ?? '0'), lang),
      })}{' '}
      {props.posted ? (
        <strong>{t('approved')}</strong>
      ) : (
        props.canApprove && (
          <button disabled={props.busy} onClick={props.onApprove}>
            {t('approveProposal')}
          </button>
        )
      )}
    </li>
  );
}

export function SwitchesTaken(props: { events: TimelineEvent[] }) {
  const { t, lang } = useT(S);
  const taken = props.events.filter((e) => e.kind.startsWith('switch.'));
  return (
    <section class="incident-switches" aria-labelledby="sw-h">
      <h2 id="sw-h">{t('switchesTaken')}</h2>
      {taken.length === 0 && <p>{t('noSwitchesTaken')}</p>}
      <ul>
        {taken.map((e) => (
          <li data-kind={e.kind}>
            <span class="muted">{dateTime(e.at, lang)}</span> <strong>{e.kind}</strong>{' '}
            {e.actor.name ?? e.actor.id ?? e.actor.type}: {String(e.detail['summary'] ?? '')}
          </li>
        ))}
      </ul>
      <p>
        <a href="#/switches">{t('toSwitches')}</a>
      </p>
    </section>
  );
}
