import { useState } from 'preact/hooks';
import type { CallOptions } from './api.ts';
import { dateTime, useT, type Strings } from './i18n.tsx';
import { Notice, useLoad } from './kit.tsx';
import { Field, FormCard, formValues, Submit, useForm } from './form.tsx';

// The payment-page monitor's screen, shared by the dashboard (a merchant's checkout pages)
// and the console (every page; Kinko's own approved by security admins): the monitor's
// status first — "monitoring is off" in red when the server has no browser, never a quiet
// empty list — then each page with its state and what changed since it was approved, an
// approve button where the viewer may approve, and the alerts.

const W = {
  pwTitle: ['Payment pages', '決済ページ'],
  pwIntro: [
    'Kinko loads these pages in a browser every {minutes} minutes and compares the scripts, ' +
      'security headers, frames and form actions with what was approved (PCI DSS 11.6.1).',
    'Kinko はこれらのページを {minutes} 分ごとにブラウザで読み込み、スクリプト・セキュリティ' +
      'ヘッダー・フレーム・フォーム送信先を承認済みの内容と比較します（PCI DSS 11.6.1）。',
  ],
  pwOff: [
    'Monitoring is OFF: the server has no browser ({browser}). These pages are not being ' +
      'watched until it is installed.',
    '監視は停止中です：サーバーにブラウザがありません（{browser}）。インストールされるまで' +
      'ページは監視されていません。',
  ],
  pwAdd: ['Watch a checkout page', 'チェックアウトページを監視する'],
  pwUrl: ['Page URL (https://)', 'ページの URL（https://）'],
  pwLabel: ['Label', 'ラベル'],
  pwApprove: ['Approve what it serves now', '現在の内容を承認する'],
  pwNone: ['No pages yet.', 'まだページはありません。'],
  pwAlerts: ['Alerts', 'アラート'],
  pwNoAlerts: ['No unapproved changes seen.', '未承認の変更はありません。'],
  pwLastLoad: ['Last load', '最終読み込み'],
  pwScripts: ['Scripts', 'スクリプト'],
  state_awaiting_first_load: ['Waiting for the first load', '初回読み込み待ち'],
  state_awaiting_approval: ['Loaded: approve its inventory', '読み込み済み：承認してください'],
  state_approved: ['Unchanged since approved', '承認後の変更なし'],
  state_changed: ['CHANGED since approved', '承認後に変更あり'],
  state_failing: ['Does not load', '読み込めません'],
} as const satisfies Strings;

interface Monitor {
  monitoring: 'on' | 'off';
  browser: string;
  interval_seconds: number;
}

interface Script {
  url: string;
  sha256: string;
}

interface Difference {
  scripts_added: Script[];
  scripts_changed: Array<Script & { approved_sha256: string[] }>;
  scripts_removed: Script[];
  headers_changed: Array<{ name: string; approved: string | null; observed: string | null }>;
  frames_added: string[];
  frames_removed: string[];
  form_actions_added: string[];
  form_actions_removed: string[];
}

interface Observation {
  id: string;
  observed_at: string;
  outcome: 'loaded' | 'failed';
  failure: string | null;
  inventory: { scripts: Script[] } | null;
  difference: Difference | null;
}

interface PageView {
  id: string;
  merchant_id: string | null;
  kind: string;
  url: string;
  label: string | null;
  state: 'awaiting_first_load' | 'awaiting_approval' | 'approved' | 'changed' | 'failing';
  latest: Observation | null;
  difference: Difference | null;
}

interface Alert extends Observation {
  url: string;
  page_id: string;
}

interface PageWatchApi {
  /** `/v1/pages` (a merchant) or `/v1/operator/pages` (operators). */
  base: string;
  alerts: string;
  call<T>(path: string, options?: CallOptions): Promise<T>;
  mayRegister: boolean;
  mayApprove(page: { merchant_id: string | null }): boolean;
}

/** One line per change, as the alert email words them. */
function changes(d: Difference): string[] {
  return [
    ...d.scripts_added.map((s) => `+ script ${s.url || '(inline)'} ${s.sha256.slice(0, 16)}…`),
    ...d.scripts_changed.map((s) => `~ script ${s.url} ${s.sha256.slice(0, 16)}…`),
    ...d.scripts_removed.map((s) => `- script ${s.url || '(inline)'}`),
    ...d.headers_changed.map((h) => `~ header ${h.name}: ${h.observed ?? '(none)'}`),
    ...d.frames_added.map((f) => `+ frame ${f}`),
    ...d.frames_removed.map((f) => `- frame ${f}`),
    ...d.form_actions_added.map((f) => `+ form action ${f}`),
    ...d.form_actions_removed.map((f) => `- form action ${f}`),
  ];
}

function AddPage(props: { api: PageWatchApi; onDone(): void }) {
  const { t } = useT(W);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    const label = v['label'] ? { label: v['label'] } : {};
    void form.run(async () => {
      await props.api.call(props.api.base, { body: { url: v['url'], ...label } });
      props.onDone();
    }, ['url', 'label']);
  };
  return (
    <FormCard form={form} onSubmit={submit} head={<h2>{t('pwAdd')}</h2>}>
      <div class="row">
        <Field name="url" label={t('pwUrl')} type="url" required />
        <Field name="label" label={t('pwLabel')} />
      </div>
      <Submit>{t('pwAdd')}</Submit>
    </FormCard>
  );
}

function WatchedPage(props: { api: PageWatchApi; id: string }) {
  const { t, lang } = useT(W);
  const view = useLoad(() => props.api.call<PageView>(`${props.api.base}/${props.id}`));
  const [error, setError] = useState<string | undefined>();
  const p = view.data;
  if (view.error) return <Notice kind="error">{view.error}</Notice>;
  if (!p) return null;
  const approvable =
    props.api.mayApprove(p) &&
    p.latest?.outcome === 'loaded' &&
    (p.state === 'awaiting_approval' || p.state === 'changed');
  const approve = () =>
    props.api
      .call(`${props.api.base}/${p.id}/approve`, { body: { observation_id: p.latest!.id } })
      .then(view.reload, (e: unknown) => setError(String(e)));
  return (
    <section class="card" data-testid="watched-page">
      <h2 class="mono">{p.label ?? p.url}</h2>
      <p class="muted mono">
        {p.url} · {p.kind} · {t('pwLastLoad')} {dateTime(p.latest?.observed_at, lang)}
      </p>
      <p data-testid="page-state">
        <strong>{t(`state_${p.state}`)}</strong>
        {p.latest?.failure && <span class="muted"> — {p.latest.failure}</span>}
      </p>
      {p.difference && (
        <ul class="mono" data-testid="page-difference">
          {changes(p.difference).map((line) => (
            <li>{line}</li>
          ))}
        </ul>
      )}
      {p.latest?.inventory && (
        <p class="muted">
          {t('pwScripts')}: {p.latest.inventory.scripts.length}
        </p>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {approvable && <button onClick={() => void approve()}>{t('pwApprove')}</button>}
    </section>
  );
}

export function PageWatch(props: { api: PageWatchApi }) {
  const { t, lang } = useT(W);
  const { api } = props;
  const pages = useLoad(() =>
    api.call<{ monitor: Monitor; data: Array<{ id: string }> }>(api.base),
  );
  const alerts = useLoad(() => api.call<{ data: Alert[] }>(api.alerts));
  const m = pages.data?.monitor;
  return (
    <>
      <h1>{t('pwTitle')}</h1>
      {pages.error && <Notice kind="error">{pages.error}</Notice>}
      {m?.monitoring === 'off' && (
        <div data-testid="monitor-off">
          <Notice kind="error">{t('pwOff', { browser: m.browser })}</Notice>
        </div>
      )}
      {m && (
        <p class="muted">
          {t('pwIntro', { minutes: String(Math.round(m.interval_seconds / 60)) })}
        </p>
      )}
      {pages.data?.data.length === 0 && <p>{t('pwNone')}</p>}
      {pages.data?.data.map((p) => (
        <WatchedPage api={api} id={p.id} key={p.id} />
      ))}
      {api.mayRegister && <AddPage api={api} onDone={pages.reload} />}
      <h2>{t('pwAlerts')}</h2>
      {alerts.data?.data.length === 0 && <p class="muted">{t('pwNoAlerts')}</p>}
      <ul data-testid="page-alerts">
        {alerts.data?.data.map((a) => (
          <li>
            {dateTime(a.observed_at, lang)} <span class="mono">{a.url}</span>
            {a.difference && <span class="mono"> — {changes(a.difference).join('; ')}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}
