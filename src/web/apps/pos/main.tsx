import { useState } from 'preact/hooks';
import { ApiError, call, newIdempotencyKey, type CallOptions } from '../../ui/api.ts';
import { dateTime, LangProvider, useT, yen } from '../../ui/i18n.tsx';
import {
  errorText,
  Field,
  formValues,
  Notice,
  Shell,
  Submit,
  useForm,
  mount,
} from '../../ui/kit.tsx';
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
}

function creds(): Creds | null {
  const raw = sessionStorage.getItem(CREDS);
  return raw ? (JSON.parse(raw) as Creds) : null;
}

/** A terminal call: `Authorization: Terminal <id>:<secret>`, and an Idempotency-Key. */
function tcall<T>(path: string, options: CallOptions): Promise<T> {
  const c = creds();
  return call<T>(path, {
    ...options,
    headers: { ...options.headers, authorization: `Terminal ${c?.id ?? ''}:${c?.secret ?? ''}` },
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

type Outcome = { ok: true; payment: CodePayment } | { ok: false; code: string; reason: string };

function SignIn(props: { onDone(): void }) {
  const { t } = useT(S);
  const submit = (e: Event) => {
    const v = formValues(e);
    const c: Creds = {
      id: v['terminal_id'] ?? '',
      secret: v['secret'] ?? '',
      store: v['store_id'] ?? '',
    };
    sessionStorage.setItem(CREDS, JSON.stringify(c));
    props.onDone();
  };
  return (
    <form class="card" onSubmit={submit}>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t('signInNote')}</p>
      <Field name="store_id" label={t('storeId')} required />
      <Field name="terminal_id" label={t('terminalId')} required autocomplete="username" />
      <Field
        name="secret"
        label={t('terminalSecret')}
        type="password"
        required
        autocomplete="current-password"
      />
      <Submit>{t('signIn')}</Submit>
    </form>
  );
}

function Receipt(props: { p: CodePayment }) {
  const { t, lang } = useT(S);
  return (
    <dl class="kv" data-testid="pos-receipt">
      <dt>{t('receiptNo')}</dt>
      <dd class="mono">{props.p.receipt?.number ?? props.p.id}</dd>
      <dt>{t('store')}</dt>
      <dd class="mono">{props.p.store_id}</dd>
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
      <p>{t('reason', { reason: o.reason })}</p>
      <p class="mono muted">{o.code}</p>
    </section>
  );
}

function reasonOf(e: unknown, lang: 'ja' | 'en'): Outcome {
  const code = e instanceof ApiError ? e.code : 'error';
  const known = (S as Record<string, readonly [string, string] | undefined>)[code];
  return { ok: false, code, reason: known ? known[lang === 'ja' ? 1 : 0] : errorText(e, lang) };
}

function RefundLast(props: { payment: CodePayment }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [done, setDone] = useState<string | undefined>();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const left = BigInt(props.payment.amount) - BigInt(props.payment.amount_refunded ?? '0');
      const amount = v['amount'] ? Number.parseInt(v['amount'], 10) : Number(left);
      const path = `/v1/code_payments/${encodeURIComponent(props.payment.id)}/refunds`;
      // Refunds need a manager's key (refunds:write); a register's own credential can only
      // charge, so a stolen register cannot pay money back out.
      const r = await call<{ amount: string; currency: string }>(path, {
        body: { amount },
        bearer: v['manager_key'],
        idempotencyKey: newIdempotencyKey(),
      });
      setDone(t('refunded', { amount: yen(r.amount, lang, r.currency) }));
    }, ['amount', 'manager_key']);
  };
  return (
    <form class="card" onSubmit={submit} noValidate>
      <h2>{t('refundLast')}</h2>
      {done && <Notice kind="ok">{done}</Notice>}
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <Field
        name="manager_key"
        label={t('managerKey')}
        type="password"
        autocomplete="off"
        hint={t('managerKeyHint')}
        required
        errors={form.errors}
      />
      <Field
        name="amount"
        label={t('refundAmount')}
        inputMode="numeric"
        hint={t('refundHint')}
        errors={form.errors}
      />
      <Submit busy={form.busy} kind="danger">
        {t('refund')}
      </Submit>
    </form>
  );
}

function Register() {
  const { t, lang } = useT(S);
  const form = useForm();
  const [code, setCode] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [last, setLast] = useState<CodePayment | undefined>();
  const scanner = useScanner(setCode, ['qr_code', 'code_128'], {
    use: t('useCamera'),
    stop: t('stopCamera'),
    none: t('noCamera'),
  });
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      try {
        const p = await tcall<CodePayment>('/v1/code_payments', {
          body: {
            code: (v['code'] ?? '').replace(/\D/g, ''),
            amount: Number.parseInt(v['amount'] ?? '', 10),
            currency: 'JPY',
            store_id: creds()?.store,
          },
        });
        setOutcome({ ok: true, payment: p });
        setLast(p);
        setCode('');
      } catch (err) {
        // A field mistake (a missing amount) goes beside the field; a refusal is the answer.
        if (err instanceof ApiError && (err.param === 'amount' || err.status === 0)) throw err;
        setOutcome(reasonOf(err, lang));
      }
    }, ['amount', 'code']);
  };
  return (
    <>
      {outcome && <Result outcome={outcome} />}
      <form class="card" onSubmit={submit} noValidate>
        {form.general && <Notice kind="error">{form.general}</Notice>}
        <Field
          name="amount"
          label={t('amount')}
          inputMode="numeric"
          pattern="[0-9]*"
          required
          errors={form.errors}
        />
        <Field
          name="code"
          label={t('code')}
          inputMode="numeric"
          hint={t('codeHint')}
          value={code}
          required
          errors={form.errors}
          autocomplete="off"
        />
        <Submit busy={form.busy}>{t('charge')}</Submit>
      </form>
      {scanner}
      {last && <RefundLast payment={last} />}
    </>
  );
}

function App() {
  const { t } = useT(S);
  const [signedIn, setSignedIn] = useState(creds() !== null);
  const c = creds();
  const aside = signedIn && c && (
    <span class="who">
      {t('terminal', { id: c.id })}{' '}
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
