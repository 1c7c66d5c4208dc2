import { useState } from 'preact/hooks';
import { AmountField, amountOf, checkAmount, useAmount } from '../../ui/amount-field.tsx';
import { amountJson } from '../../ui/amount.ts';
import { call, newIdempotencyKey, query } from '../../ui/api.ts';
import { dateTime, useT, yen, type Lang } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Submit, useForm } from '../../ui/form.tsx';
import { useScanner } from '../../ui/scanner.tsx';
import { CardLink } from './card.tsx';
import { ChallengeFrame } from './challenge.tsx';
import { walletCall, type AccountSummary } from './session.ts';
import { S } from './strings.ts';
import { W } from './wallet-api.ts';

// Money screens: balance, top-up (3-D Secure challenge when the card asks), history with
// receipts, limits, and paying a store by its QR code. The payment code is in pay.tsx.

interface Wallet {
  currency: string;
  balance: string;
  limits: {
    tier: string;
    effective: Record<string, string | number | null>;
    maximum: Record<string, string | number | null>;
    used: { day: string; month: string };
  };
  hold: { held: boolean; frozen: boolean; until: string | null };
}

export function Home(props: { account: AccountSummary }) {
  const { t, lang } = useT(S);
  const w = useLoad(() => call<Wallet>(W.wallet));
  return (
    <>
      <section class="card balance" aria-labelledby="balance-h">
        <p class="muted" id="balance-h">
          {t('balance')}
        </p>
        <p class="big" data-testid="balance">
          {w.data ? yen(w.data.balance, lang, w.data.currency) : '—'}
        </p>
        {w.data?.hold.held && <p>{t('held', { until: dateTime(w.data.hold.until, lang) })}</p>}
      </section>
      {w.error && <Notice kind="error">{w.error}</Notice>}
      {props.account.factors.length === 0 && (
        <Notice kind="info">
          {t('needFactor')} <a href="#/security">{t('security')}</a>
        </Notice>
      )}
      <div class="actions">
        <a class="button primary" href="#/pay">
          {t('navPay')}
        </a>
        <a class="button" href="#/scan">
          {t('scanStore')}
        </a>
        <a class="button" href="#/topup">
          {t('navTopUp')}
        </a>
        <a class="button" href="#/limits">
          {t('limits')}
        </a>
      </div>
    </>
  );
}

type T = ReturnType<typeof useT<typeof S>>['t'];

/** The button says exactly what will be charged, once the field reads as an amount. */
function topupLabel(t: T, minor: bigint | undefined, lang: Lang): string {
  return minor === undefined
    ? t('topupSubmit')
    : t('topupSubmitAmount', { amount: yen(minor, lang) });
}

function payLabel(t: T, minor: bigint | undefined, lang: Lang): string {
  return minor === undefined
    ? t('confirmPay')
    : t('confirmPayAmount', { amount: yen(minor, lang) });
}

interface Topup {
  id: string;
  status: string;
  amount: string;
  currency: string;
  challenge_url?: string;
  failure_code: string | null;
}

export function TopUpPage(props: { account: AccountSummary }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const amount = useAmount();
  const [card, setCard] = useState<string | undefined>();
  const [pending, setPending] = useState<Topup | undefined>();
  const [done, setDone] = useState<Topup | undefined>();
  const submit = (e: Event) => {
    e.preventDefault();
    const checked = checkAmount('amount', amount, form, lang);
    if (!checked.ok || checked.minor === undefined) return;
    const minor = checked.minor;
    void form.run(async () => {
      setDone(undefined);
      const r = await walletCall<Topup>(W.topups, {
        account: props.account,
        action: 'topup',
        idempotencyKey: newIdempotencyKey(),
        body: { amount: amountJson(minor), currency: 'JPY', card_token: card },
      });
      // The amount is spent: a second press must not charge it again unseen.
      amount.clear();
      if (r.status === 'requires_action' && r.challenge_url) setPending(r);
      else setDone(r);
    }, ['amount', 'card_token']);
  };
  const finished = () =>
    form.run(async () => {
      if (!pending) return;
      setDone(await call<Topup>(W.topupConfirm(pending.id), { body: {} }));
      setPending(undefined);
    });
  return (
    <>
      <h1>{t('navTopUp')}</h1>
      <CardLink account={props.account} onSelected={setCard} />
      {done?.status === 'succeeded' && (
        <Notice kind="ok">{t('toppedUp', { amount: yen(done.amount, lang) })}</Notice>
      )}
      {done?.status === 'held' && (
        <Notice kind="info">{t('topupHeld', { amount: yen(done.amount, lang) })}</Notice>
      )}
      {done && done.status !== 'succeeded' && done.status !== 'held' && (
        <Notice kind="error">{t('topupFailed', { code: done.failure_code ?? done.status })}</Notice>
      )}
      {pending?.challenge_url && (
        <ChallengeFrame url={pending.challenge_url} onFinished={() => void finished()} />
      )}
      {card && !pending && (
        <FormCard form={form} onSubmit={submit}>
          <AmountField name="amount" label={t('topupAmount')} amount={amount} required />
          <Submit>{topupLabel(t, amountOf(amount), lang)}</Submit>
        </FormCard>
      )}
    </>
  );
}

interface HistoryItem {
  type: 'topup' | 'payment' | 'refund';
  id: string;
  amount: string;
  currency: string;
  status: string;
  merchant_id: string | null;
  store_id: string | null;
  /** The store's name as the customer saw it at the register (receipts never show the id). */
  store_name?: string | null;
  payment_id: string | null;
  created_at: string;
  receipt?: { number: string; text: string } | null;
}

function Receipt(props: { item: HistoryItem; onClose(): void }) {
  const { t, lang } = useT(S);
  const i = props.item;
  return (
    <section class="card" aria-labelledby="receipt-h" data-testid="receipt">
      <h2 id="receipt-h">{t('receipt')}</h2>
      <dl class="kv">
        <dt>{t('receiptNo')}</dt>
        <dd class="mono">{i.receipt?.number ?? i.id}</dd>
        <dt>{t('type')}</dt>
        <dd>{t(i.type)}</dd>
        <dt>{t('amount')}</dt>
        <dd>{yen(i.amount, lang, i.currency)}</dd>
        {i.store_id && <dt>{t('store')}</dt>}
        {i.store_id && <dd>{i.store_name ?? i.store_id}</dd>}
        <dt>{t('when')}</dt>
        <dd>{dateTime(i.created_at, lang)}</dd>
        <dt>{t('status')}</dt>
        <dd>{i.status}</dd>
      </dl>
      <div class="actions">
        <button onClick={() => window.print()}>{t('print')}</button>
        <button class="link" onClick={props.onClose}>
          {t('close')}
        </button>
      </div>
    </section>
  );
}

export function HistoryPage() {
  const { t, lang } = useT(S);
  const [cursor, setCursor] = useState<string | undefined>();
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [open, setOpen] = useState<HistoryItem | undefined>();
  const page = useLoad(async () => {
    const r = await call<{ data: HistoryItem[]; next_cursor?: string | null }>(
      `${W.history}${query({ cursor })}`,
    );
    setItems((old) => (cursor ? [...old, ...r.data] : r.data));
    return r;
  }, [cursor]);
  const sign = (i: HistoryItem) => (i.type === 'payment' ? '−' : '+');
  return (
    <>
      <h1>{t('history')}</h1>
      {page.error && <Notice kind="error">{page.error}</Notice>}
      {open && <Receipt item={open} onClose={() => setOpen(undefined)} />}
      {page.data && items.length === 0 && <p class="muted">{t('noHistory')}</p>}
      <ul class="history" data-testid="history">
        {items.map((i) => (
          <li>
            <button class="link" onClick={() => setOpen(i)}>
              {t(i.type)} {sign(i)}
              {yen(i.amount, lang, i.currency)}
            </button>{' '}
            <span class="muted">
              {i.store_name ? `${i.store_name} · ` : ''}
              {dateTime(i.created_at, lang)}
            </span>
          </li>
        ))}
      </ul>
      {page.data?.next_cursor && (
        <button onClick={() => setCursor(page.data?.next_cursor ?? undefined)}>{t('more')}</button>
      )}
    </>
  );
}

const LIMIT_FIELDS = ['per_topup', 'daily', 'monthly'] as const;

/** Own top-up limits: lowering needs nothing more; raising one asks for a device proof. */
function SetLimits(props: { account: AccountSummary; current: Wallet['limits']; onDone(): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const initial = (f: (typeof LIMIT_FIELDS)[number]) => String(props.current.effective[f] ?? '');
  // One reader per field, in the fixed order of LIMIT_FIELDS (hooks keep their order).
  const fields = LIMIT_FIELDS.map((f) => ({ name: f, amount: useAmount({}, initial(f)) }));
  const submit = (e: Event) => {
    e.preventDefault();
    const body: Record<string, number | null> = {};
    for (const f of fields) {
      // An empty limit means "no limit of my own" (the tier's maximum applies).
      const checked = checkAmount(f.name, f.amount, form, lang, true);
      if (!checked.ok) return;
      body[f.name] = checked.minor === undefined ? null : amountJson(checked.minor);
    }
    void form.run(async () => {
      await walletCall(W.limits, {
        method: 'PUT',
        account: props.account,
        action: 'limit_raise',
        body,
      });
      props.onDone();
    }, LIMIT_FIELDS);
  };
  const head = (
    <>
      <h2>{t('setLimits')}</h2>
      <p class="muted">{t('setLimitsNote')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      {fields.map((f) => (
        <AmountField name={f.name} label={t(f.name)} amount={f.amount} />
      ))}
      <Submit>{t('save')}</Submit>
    </FormCard>
  );
}

export function LimitsPage(props: { account: AccountSummary }) {
  const { t, lang } = useT(S);
  const w = useLoad(() => call<Wallet>(W.wallet));
  const l = w.data?.limits;
  const fmt = (v: string | number | null | undefined) =>
    v === null || v === undefined ? '—' : yen(String(v), lang);
  return (
    <>
      <h1>{t('limits')}</h1>
      {w.error && <Notice kind="error">{w.error}</Notice>}
      {l && (
        <section class="card">
          <p>{t('tier', { tier: l.tier })}</p>
          <table>
            <tbody>
              {Object.entries(l.effective).map(([k, v]) => (
                <tr>
                  <th>{t(k as (typeof LIMIT_FIELDS)[number])}</th>
                  <td class="num">{fmt(v)}</td>
                  <td class="num muted">
                    {t('max')} {fmt(l.maximum[k])}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            {t('usedToday', { amount: fmt(l.used.day) })} ·{' '}
            {t('usedMonth', { amount: fmt(l.used.month) })}
          </p>
        </section>
      )}
      {l && <SetLimits account={props.account} current={l} onDone={w.reload} />}
    </>
  );
}

export function ScanPage(props: { account: AccountSummary }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [payload, setPayload] = useState('');
  const amount = useAmount();
  const [paid, setPaid] = useState<
    { amount: string; id: string; store_name?: string } | undefined
  >();
  const scanner = useScanner((text) => setPayload(text), ['qr_code'], {
    use: t('useCamera'),
    stop: t('stopCamera'),
    none: t('noCamera'),
  });
  const submit = (e: Event) => {
    const v = formValues(e);
    const checked = checkAmount('amount', amount, form, lang);
    if (!checked.ok || checked.minor === undefined) return;
    const minor = checked.minor;
    void form.run(async () => {
      const r = await walletCall<{ id: string; amount: string; store_name?: string }>(
        W.storePayments,
        {
          account: props.account,
          action: 'payment_code',
          idempotencyKey: newIdempotencyKey(),
          body: { payload: v['payload'], amount: amountJson(minor) },
        },
      );
      amount.clear();
      setPaid(r);
    }, ['payload', 'amount']);
  };
  return (
    <>
      <h1>{t('scanStore')}</h1>
      {paid && (
        <Notice kind="ok">
          {paid.store_name
            ? t('paidStore', { amount: yen(paid.amount, lang), store: paid.store_name })
            : t('paid', { amount: yen(paid.amount, lang) })}
        </Notice>
      )}
      {scanner}
      <FormCard form={form} onSubmit={submit}>
        <Field
          name="payload"
          label={t('storeCode')}
          hint={t('storeCodeHint')}
          value={payload}
          required
        />
        <AmountField name="amount" label={t('amountYen')} amount={amount} required />
        <Submit>{payLabel(t, amountOf(amount), lang)}</Submit>
      </FormCard>
    </>
  );
}
