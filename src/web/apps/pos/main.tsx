import { useState } from 'preact/hooks';
import { AmountField, amountOf, checkAmount, useAmount } from '../../ui/amount-field.tsx';
import { amountJson } from '../../ui/amount.ts';
import { ApiError, call, newIdempotencyKey, type CallOptions } from '../../ui/api.ts';
import { dateTime, LangProvider, useT, yen } from '../../ui/i18n.tsx';
import { errorText, mount, Notice, Shell } from '../../ui/kit.tsx';
import {
  CodeField,
  Field,
  FormCard,
  formValues,
  PasswordField,
  Submit,
  useForm,
} from '../../ui/form.tsx';
import { useScanner } from '../../ui/scanner.tsx';
import { S } from './strings.ts';

// The register (POS): signed in with a terminal's credentials, it charges a customer's
// one-time payment code (scanned with the camera where the browser can, or typed), shows
// approved or declined with the reason and a receipt, and refunds the last payment.

const CREDS = 'kinko.pos.terminal';

interface Creds {
  id: string;
  secret: string;
  store: string;
  storeName: string;
}

function creds(): Creds | null {
  const raw = sessionStorage.getItem(CREDS);
  return raw ? (JSON.parse(raw) as Creds) : null;
}

const terminalAuth = (id: string, secret: string) => `Terminal ${id}:${secret}`;

/** A terminal call: `Authorization: Terminal <id>:<secret>`, and an Idempotency-Key. */
function tcall<T>(path: string, options: CallOptions): Promise<T> {
  const c = creds();
  return call<T>(path, {
    ...options,
    headers: { ...options.headers, authorization: terminalAuth(c?.id ?? '', c?.secret ?? '') },
    idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
  });
}

interface CodePayment {
  id: string;
  amount: string;
  amount_refunded?: string;
  currency: string;
  store_id: string;
  created_at: string;
  receipt?: { number: string; text: string };
}

interface Terminal {
  id: string;
  store_id: string;
  store_name: string;
}

type Outcome = { ok: true; payment: CodePayment } | { ok: false; code: string; reason: string };

/** Signs in only with credentials the API accepts (GET /v1/terminal), and learns the store. */
function SignIn(props: { onDone(): void }) {
  const { t } = useT(S);
  const { lang } = useT(S);
  const form = useForm();
  const [refused, setRefused] = useState<string | undefined>();
  const submit = (e: Event) => {
    const v = formValues(e);
    const id = v['terminal_id'] ?? '';
    const secret = v['secret'] ?? '';
    setRefused(undefined);
    void form.run(async () => {
      let me: Terminal;
      try {
        me = await call<Terminal>('/v1/terminal', {
          headers: { authorization: terminalAuth(id, secret) },
        });
      } catch (err) {
        if (err instanceof ApiError && err.status !== 0) return setRefused(posText(err, lang));
        throw err;
      }
      const c: Creds = { id: me.id, secret, store: me.store_id, storeName: me.store_name };
      sessionStorage.setItem(CREDS, JSON.stringify(c));
      props.onDone();
    });
  };
  const head = (
    <>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t('signInNote')}</p>
      {refused && <Notice kind="error">{refused}</Notice>}
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <Field name="terminal_id" label={t('terminalId')} required autocomplete="username" />
      <PasswordField name="secret" label={t('terminalSecret')} required />
      <Submit>{t('signIn')}</Submit>
    </FormCard>
  );
}

function Receipt(props: { p: CodePayment }) {
  const { t, lang } = useT(S);
  return (
    <dl class="kv" data-testid="pos-receipt">
      <dt>{t('receiptNo')}</dt>
      <dd class="mono">{props.p.receipt?.number ?? props.p.id}</dd>
      <dt>{t('store')}</dt>
      <dd>{creds()?.storeName ?? props.p.store_id}</dd>
      <dt>{t('when')}</dt>
      <dd>{dateTime(props.p.created_at, lang)}</dd>
    </dl>
  );
}

function Result(props: { outcome: Outcome }) {
  const { t, lang } = useT(S);
  const o = props.outcome;
  if (o.ok) {
    return (
      <section class="result approved" role="status" data-testid="pos-result">
        <p class="big">✓ {t('approved')}</p>
        <p class="big">{yen(o.payment.amount, lang, o.payment.currency)}</p>
        <Receipt p={o.payment} />
      </section>
    );
  }
  return (
    <section class="result declined" role="alert" data-testid="pos-result">
      <p class="big">✕ {t('declined')}</p>
      <p>{t('reasonIs', { reason: o.reason })}</p>
      <p class="mono muted">{o.code}</p>
    </section>
  );
}

/** The register's own words for a refusal it knows; the API's otherwise. */
function posText(e: unknown, lang: 'ja' | 'en'): string {
  const code = e instanceof ApiError ? e.code : 'error';
  const known = (S as Record<string, readonly [string, string] | undefined>)[code];
  if (known) return known[lang === 'ja' ? 1 : 0];
  // No card is involved at a register: a refusal the table does not name is the wallet's.
  if (e instanceof ApiError && e.body.type === 'card_error')
    return S.walletRefused[lang === 'ja' ? 1 : 0];
  return errorText(e, lang);
}

function reasonOf(e: unknown, lang: 'ja' | 'en'): Outcome {
  const code = e instanceof ApiError ? e.code : 'error';
  return { ok: false, code, reason: posText(e, lang) };
}

// A code the register misread or the cashier mistyped is the cashier's to fix: the message
// goes beside the code field, and nothing was charged.
const CODE_TYPING_ERRORS = new Set(['code_malformed', 'code_wrong_prefix', 'code_bad_check_digit']);

/** The API names the refund's `amount`; on this screen that field is `refund_amount`. */
function asRefundField(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.param !== 'amount') return err;
  return new ApiError(err.status, { ...err.body, param: 'refund_amount' });
}

function RefundLast(props: { payment: CodePayment; onRefunded(amount: bigint): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [done, setDone] = useState<string | undefined>();
  const left = BigInt(props.payment.amount) - BigInt(props.payment.amount_refunded ?? '0');
  const amount = useAmount({ max: left });
  // Empty refunds all that is left; either way the button names the exact amount.
  const shown = amount.reading.ok ? amount.reading.minor : amount.text === '' ? left : undefined;
  const submit = (e: Event) => {
    const v = formValues(e);
    const checked = checkAmount('refund_amount', amount, form, lang, true);
    if (!checked.ok) return;
    const minor = checked.minor ?? left;
    void form.run(async () => {
      const id = encodeURIComponent(props.payment.id);
      // A refund needs a manager's approval here: their own email and a code from their own
      // authenticator app, never a key typed into the register. The register's credential
      // alone can only charge, so a stolen register cannot pay money back out.
      const r = await tcall<{ amount: string; currency: string }>(
        `/v1/terminal/code_payments/${id}/refunds`,
        {
          body: {
            amount: amountJson(minor),
            manager_email: v['manager_email'],
            manager_totp_code: v['manager_totp_code'],
          },
        },
      ).catch((err: unknown) => Promise.reject(asRefundField(err)));
      amount.clear();
      setDone(t('refunded', { amount: yen(r.amount, lang, r.currency) }));
      props.onRefunded(BigInt(r.amount));
    }, ['refund_amount', 'manager_email', 'manager_totp_code']);
  };
  if (left <= 0n && !done) return null;
  const head = (
    <>
      <h2>{t('refundLast')}</h2>
      {done && <Notice kind="ok">{done}</Notice>}
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <p class="muted">{t('managerApprovalHint')}</p>
      <Field
        name="manager_email"
        type="email"
        label={t('managerEmail')}
        autocomplete="off"
        required
      />
      <CodeField name="manager_totp_code" label={t('managerCode')} required />
      <AmountField
        name="refund_amount"
        label={t('refundAmount')}
        amount={amount}
        hint={t('refundHint', { left: yen(left, lang) })}
      />
      {left > 0n && (
        <Submit kind="danger">
          {shown === undefined ? t('refundAction') : t('refundExact', { amount: yen(shown, lang) })}
        </Submit>
      )}
    </FormCard>
  );
}

function chargeCode(code: string, minor: bigint): Promise<CodePayment> {
  return tcall<CodePayment>('/v1/code_payments', {
    body: {
      code: code.replace(/\D/g, ''),
      amount: amountJson(minor),
      currency: 'JPY',
      store_id: creds()?.store,
    },
  });
}

/** Where a failed charge is shown: beside the code field, on top of the form, or as the answer. */
function refusalOf(err: unknown, lang: 'ja' | 'en'): { field: string } | { outcome: Outcome } {
  if (err instanceof ApiError && CODE_TYPING_ERRORS.has(err.code)) {
    return { field: posText(err, lang) };
  }
  // A field mistake (a missing amount) goes beside the field; a refusal is the answer.
  if (err instanceof ApiError && (err.param === 'amount' || err.status === 0)) throw err;
  return { outcome: reasonOf(err, lang) };
}

function withRefund(p: CodePayment, amount: bigint): CodePayment {
  return { ...p, amount_refunded: (BigInt(p.amount_refunded ?? '0') + amount).toString() };
}

function Register() {
  const { t, lang } = useT(S);
  const form = useForm();
  const amount = useAmount();
  const [code, setCode] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [last, setLast] = useState<CodePayment | undefined>();
  const scanner = useScanner(setCode, ['qr_code', 'code_128'], {
    use: t('useCamera'),
    stop: t('stopCamera'),
    none: t('noCamera'),
  });
  const submit = (e: Event) => {
    e.preventDefault();
    // A new sale starts: the last customer's answer must not read as this one's.
    setOutcome(undefined);
    const checked = checkAmount('amount', amount, form, lang);
    if (!checked.ok || checked.minor === undefined) return;
    const minor = checked.minor;
    void form.run(async () => {
      try {
        const p = await chargeCode(code, minor);
        setOutcome({ ok: true, payment: p });
        setLast(p);
        // The sale is done: the next customer starts from empty fields.
        setCode('');
        amount.clear();
      } catch (err) {
        const r = refusalOf(err, lang);
        if ('field' in r) form.setErrors({ code: r.field });
        else setOutcome(r.outcome);
      }
    }, ['amount', 'code']);
  };
  const minor = amountOf(amount);
  const label = minor === undefined ? t('charge') : t('chargeExact', { amount: yen(minor, lang) });
  return (
    <>
      {outcome && <Result outcome={outcome} />}
      <FormCard form={form} onSubmit={submit}>
        <AmountField name="amount" label={t('amountYen')} amount={amount} />
        <Field
          name="code"
          label={t('code')}
          inputMode="numeric"
          hint={t('codeHint')}
          value={code}
          onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          required
          autocomplete="off"
        />
        <Submit>{label}</Submit>
      </FormCard>
      {scanner}
      {last && (
        <RefundLast key={last.id} payment={last} onRefunded={(a) => setLast(withRefund(last, a))} />
      )}
    </>
  );
}

function App() {
  const { t } = useT(S);
  const [signedIn, setSignedIn] = useState(creds() !== null);
  const c = creds();
  const aside = signedIn && c && (
    <span class="who">
      {t('terminal', { id: c.id })} · {c.storeName}{' '}
      <button
        class="link"
        onClick={() => {
          sessionStorage.removeItem(CREDS);
          setSignedIn(false);
        }}
      >
        {t('signOut')}
      </button>
    </span>
  );
  return (
    <Shell title={t('posTitle')} aside={aside}>
      {signedIn ? <Register /> : <SignIn onDone={() => setSignedIn(true)} />}
    </Shell>
  );
}

mount(
  <LangProvider>
    <App />
  </LangProvider>,
);
