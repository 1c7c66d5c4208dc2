import { useState } from 'preact/hooks';
import { call, query } from '../../ui/api.ts';
import { dateTime, useT, yen, type Translate } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { FormError, useForm } from '../../ui/form.tsx';
import type { Role } from './role.ts';
import { S } from './strings.ts';

// The review queue: top-ups and merchants' web payments held by a `review` decision, oldest
// first. One review's page shows why it was held (the reason, the rules that fired, the
// rule-set version and the signals) beside the customer's recent activity — or, for a web
// payment, its merchant, the card as brand and last 4 digits (the server sends nothing
// more), the shopper's network and the card's recent web payments — so a reviewer decides
// from one page.
// Every operator reads; the roles the server lets decide (risk analysts and security
// admins) approve — the money moves, once — or decline with a note.

const STATUSES = ['open', 'approved', 'declined', 'closed'] as const;
type Status = (typeof STATUSES)[number];
/** The roles OPERATOR_ACCESS lets decide a review. */
const DECIDERS: readonly Role[] = ['risk_analyst', 'security_admin'];

interface Review {
  id: string;
  kind: string;
  subject_id: string;
  customer_id: string | null;
  merchant_id: string | null;
  amount: string;
  currency: string;
  status: Status;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
}

interface Activity {
  sign_ins: { at: string; source_ip: string | null; device_id: string | null }[];
  devices: { id: string; name: string; status: string; added_at: string }[];
  security_changes: { kind: string; at: string; source_ip: string | null }[];
  topups: { id: string; amount: string; status: string; created_at: string }[];
  payments: { id: string; amount: string; store_name: string; created_at: string }[];
}

interface WebPaymentFacts {
  id: string;
  merchant_id: string;
  merchant_name: string;
  amount: string;
  currency: string;
  capture_method: 'automatic' | 'manual';
  status: string;
  card: { brand: string; last4: string } | null;
  shopper_network: string | null;
  card_payments: {
    id: string;
    merchant_id: string;
    amount: string;
    currency: string;
    status: string;
    created_at: string;
  }[];
}

type Detail = Review & {
  decision: {
    decision: string;
    reason: string | null;
    reason_words: string;
    version: number;
    rules_fired: string[];
    signals: Record<string, unknown> | null;
  } | null;
  /** A top-up's customer; absent for a web payment, which has web_payment instead. */
  activity?: Activity;
  web_payment?: WebPaymentFacts;
};

const WEB_PAYMENT = 'web_payment';

function kindWord(t: Translate<typeof S>, kind: string): string {
  if (kind === 'topup') return t('kind_topup');
  return kind === WEB_PAYMENT ? t('kind_web_payment') : t('kind_other');
}

const base = '/v1/operator/risk/reviews';

/** The queue, or one review when the route names it (#/reviews/rv_…). */
export function ReviewsPage(props: { role: Role; route: string }) {
  const id = props.route.split('/')[2];
  return id ? <ReviewView key={id} id={id} role={props.role} /> : <ReviewList />;
}

function ReviewList() {
  const { t, lang } = useT(S);
  const [status, setStatus] = useState<Status>('open');
  const list = useLoad(() => call<{ data: Review[] }>(`${base}${query({ status })}`), [status]);
  const rows = list.data?.data ?? [];
  return (
    <section class="reviews">
      <h1>{t('reviewsTitle')}</h1>
      <p class="muted">{t('reviewsNote')}</p>
      <div class="actions" role="group" aria-label={t('status')}>
        {STATUSES.map((s) => (
          <button aria-pressed={status === s} onClick={() => setStatus(s)}>
            {t(`review_${s}`)}
          </button>
        ))}
      </div>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && rows.length === 0 && <p>{t('noReviews')}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('heldAt')}</th>
                <th>{t('reviewKind')}</th>
                <th class="num">{t('amount')}</th>
                <th>{t('reviewParty')}</th>
                <th>{t('status')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-review={r.id}>
                  <td>
                    <a href={`#/reviews/${r.id}`}>{dateTime(r.created_at, lang)}</a>
                  </td>
                  <td>{kindWord(t, r.kind)}</td>
                  <td class="num">{yen(r.amount, lang, r.currency)}</td>
                  <td class="mono">{r.customer_id ?? r.merchant_id}</td>
                  <td>{t(`review_${r.status}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ReviewView(props: { id: string; role: Role }) {
  const { t, lang } = useT(S);
  // What the last decision did, kept here: the decide form goes once the review is decided.
  const [outcome, setOutcome] = useState<string | undefined>();
  const view = useLoad(() => call<Detail>(`${base}/${encodeURIComponent(props.id)}`), [props.id]);
  if (view.error) return <Notice kind="error">{view.error}</Notice>;
  const v = view.data;
  if (!v) return <p class="muted">{t('loadingReview')}</p>;
  return (
    <section class="review" data-review={v.id}>
      <p>
        <a href="#/reviews">{t('backToReviews')}</a>
      </p>
      <h1>
        {kindWord(t, v.kind)} {yen(v.amount, lang, v.currency)}
      </h1>
      <div class="card">
        <dl class="kv">
          <dt>{t('status')}</dt>
          <dd data-status={v.status}>{t(`review_${v.status}`)}</dd>
          {v.customer_id && (
            <>
              <dt>{t('customer')}</dt>
              <dd class="mono">{v.customer_id}</dd>
            </>
          )}
          <dt>{t('heldItem')}</dt>
          <dd class="mono">{v.subject_id}</dd>
          <dt>{t('heldAt')}</dt>
          <dd>{dateTime(v.created_at, lang)}</dd>
          {v.decided_by && (
            <>
              <dt>{t('decidedBy')}</dt>
              <dd class="mono">
                {v.decided_by} · {dateTime(v.decided_at, lang)} · {v.note}
              </dd>
            </>
          )}
        </dl>
      </div>
      {outcome && <Notice kind="ok">{outcome}</Notice>}
      <Why d={v.decision} />
      {v.status === 'open' && DECIDERS.includes(props.role) && (
        <Decide
          id={v.id}
          web={v.kind === WEB_PAYMENT}
          onDone={(said) => {
            setOutcome(said);
            view.reload();
          }}
        />
      )}
      {v.status === 'open' && !DECIDERS.includes(props.role) && (
        <Notice kind="info">{t('readOnlyReview')}</Notice>
      )}
      {v.web_payment && <WebPayment w={v.web_payment} />}
      {v.activity && <CustomerActivity a={v.activity} />}
    </section>
  );
}

/** Why the item was held: the reason as the customer read it, the rules, the signals. */
function Why(props: { d: Detail['decision'] }) {
  const { t } = useT(S);
  const d = props.d;
  if (!d) return null;
  const said = reasonText(t, d.reason, d.reason_words);
  return (
    <div class="card">
      <h2>{t('whyHeld')}</h2>
      <p data-testid="reason">{said}</p>
      <dl class="kv">
        <dt>{t('rulesFired')}</dt>
        <dd class="mono">{d.rules_fired.join(', ')}</dd>
        <dt>{t('ruleVersion')}</dt>
        <dd>{d.version}</dd>
      </dl>
      {d.signals && (
        <details>
          <summary>{t('signalsShown')}</summary>
          <table class="signals">
            <tbody>
              {Object.entries(d.signals).map(([k, val]) => (
                <tr>
                  <th class="mono">{k}</th>
                  <td class="mono">{String(val)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

function reasonText(t: Translate<typeof S>, code: string | null, words: string): string {
  const key = `reason_${code ?? ''}`;
  return key in S ? t(key as keyof typeof S) : words;
}

/** A code's words when the console has them (top-up status, change kind), else the code. */
function wordFor(t: Translate<typeof S>, prefix: string, code: string): string {
  const key = `${prefix}${code}`;
  return key in S ? t(key as keyof typeof S) : code;
}

/** A held web payment: its merchant, masked card, the shopper's network, the card's history. */
function WebPayment(props: { w: WebPaymentFacts }) {
  const { t, lang } = useT(S);
  const { w } = props;
  const status = (s: string) => wordFor(t, 'ps_', s);
  return (
    <div class="card web-payment" data-payment={w.id}>
      <h2>{t('webPaymentTitle')}</h2>
      <dl class="kv">
        <dt>{t('webMerchant')}</dt>
        <dd>
          {w.merchant_name} <span class="mono muted">{w.merchant_id}</span>
        </dd>
        <dt>{t('heldItem')}</dt>
        <dd class="mono">{w.id}</dd>
        <dt>{t('amount')}</dt>
        <dd>{yen(w.amount, lang, w.currency)}</dd>
        <dt>{t('webCaptureMethod')}</dt>
        <dd>{t(`capture_${w.capture_method}`)}</dd>
        <dt>{t('webPaymentStatus')}</dt>
        <dd>{status(w.status)}</dd>
        <dt>{t('webCard')}</dt>
        <dd data-testid="card">{w.card ? `${w.card.brand} •••• ${w.card.last4}` : '—'}</dd>
        <dt>{t('webShopperNetwork')}</dt>
        <dd class="mono">{w.shopper_network ?? '—'}</dd>
      </dl>
      <Rows
        title={t('cardPayments')}
        rows={w.card_payments.map((x) => [
          dateTime(x.created_at, lang),
          yen(x.amount, lang, x.currency),
          status(x.status),
          x.merchant_id,
          x.id,
        ])}
      />
    </div>
  );
}

function Decide(props: { id: string; web: boolean; onDone(outcome: string): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [note, setNote] = useState('');
  const decide = (step: 'approve' | 'decline') =>
    form.run(async () => {
      const r = await call<{ subject?: { status: string } }>(
        `${base}/${encodeURIComponent(props.id)}/${step}`,
        { body: { note } },
      );
      const status = r.subject?.status ?? '';
      if (props.web) {
        const said = { status: wordFor(t, 'ps_', status) };
        return props.onDone(step === 'approve' ? t('approvedWebThen', said) : t('declinedWebThen'));
      }
      props.onDone(
        step === 'approve'
          ? t('approvedThen', { status: wordFor(t, 'ts_', status) })
          : t('declinedThen'),
      );
    });
  return (
    <div class="card decide">
      <h2>{t('decideTitle')}</h2>
      <FormError form={form} />
      <label for="review-note">{t('reviewNote')}</label>
      <textarea
        id="review-note"
        maxLength={500}
        rows={2}
        value={note}
        onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
      />
      <div class="actions">
        <button
          class="primary"
          disabled={form.busy || !note.trim()}
          onClick={() => void decide('approve')}
        >
          {t(props.web ? 'approveWebPayment' : 'approveReview')}
        </button>
        <button
          class="danger"
          disabled={form.busy || !note.trim()}
          onClick={() => void decide('decline')}
        >
          {t(props.web ? 'declineWebPayment' : 'declineReview')}
        </button>
      </div>
      <p class="muted">{t(props.web ? 'decideWebNote' : 'decideNote')}</p>
    </div>
  );
}

function CustomerActivity(props: { a: Activity }) {
  const { t, lang } = useT(S);
  const { a } = props;
  const word = (prefix: string, code: string) => wordFor(t, prefix, code);
  const when = (iso: string) => dateTime(iso, lang);
  return (
    <div class="activity">
      <h2>{t('recentActivity')}</h2>
      <Rows
        title={t('signIns')}
        rows={a.sign_ins.map((s) => [when(s.at), s.source_ip ?? '', s.device_id ?? ''])}
      />
      <Rows
        title={t('recentDevices')}
        rows={a.devices.map((d) => [when(d.added_at), d.name, word('ds_', d.status)])}
      />
      <Rows
        title={t('securityChanges')}
        rows={a.security_changes.map((c) => [when(c.at), word('ch_', c.kind), c.source_ip ?? ''])}
      />
      <Rows
        title={t('recentTopups')}
        rows={a.topups.map((x) => [
          when(x.created_at),
          yen(x.amount, lang),
          word('ts_', x.status),
          x.id,
        ])}
      />
      <Rows
        title={t('recentPayments')}
        rows={a.payments.map((x) => [when(x.created_at), yen(x.amount, lang), x.store_name])}
      />
    </div>
  );
}

function Rows(props: { title: string; rows: string[][] }) {
  const { t } = useT(S);
  return (
    <section>
      <h3>{props.title}</h3>
      {props.rows.length === 0 ? (
        <p class="muted">{t('nothingRecent')}</p>
      ) : (
        <div class="table-wrap">
          <table aria-label={props.title}>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  {r.map((c) => (
                    <td>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
