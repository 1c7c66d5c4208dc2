import { useEffect, useRef, useState } from 'preact/hooks';
import { call, query } from '../../ui/api.ts';
import { useT, yen } from '../../ui/i18n.tsx';
import { FormError, useForm } from '../../ui/form.tsx';
import { walletCall, type AccountSummary } from './session.ts';
import { S } from './strings.ts';
import { W } from './wallet-api.ts';

// Pay at the register: a one-time payment code as a QR code and a Code 128 barcode (drawn by
// the API as SVG data URLs) with its digits underneath and a visible countdown. While the
// code is on screen the page waits (long polling) for the register to charge it, then swaps
// the spent code for the payment: amount, store and new balance.
//
// A code lives as long as the server says (expires_at − issued_at, 5 minutes by default);
// the text says so. A new code needs a recent passkey or TOTP check (step_up_seconds_max,
// 5 minutes by default), so the page renews a code by itself only while that check is still
// recent; after that it lets the code expire and asks, on a tap, for the passkey first —
// rather than a passkey prompt appearing out of nowhere.

interface IssuedCode {
  payment_code: string;
  display: string;
  qr_svg: string;
  barcode_svg: string;
  issued_at: string;
  expires_at: string;
}

interface CodePaymentNotice {
  payment: {
    id: string;
    amount: string;
    currency: string;
    store_name: string | null;
    created_at: string;
  } | null;
  balance?: string;
  retry_after_seconds?: number;
}

type Paid = Required<Pick<CodePaymentNotice, 'balance'>> & {
  payment: NonNullable<CodePaymentNotice['payment']>;
};

const REFRESH_BEFORE_EXPIRY_MS = 10_000;
/** A renewal signs a device proof first: the check must still be recent a little later. */
const STEP_UP_MARGIN_MS = 15_000;
const AUTO_REFRESHES_MAX = 10;
/** The register may charge a code in its last second; keep listening a little after. */
const LISTEN_AFTER_EXPIRY_MS = 30_000;
const WAIT_SECONDS = 25;

function secondsLeft(code: IssuedCode | undefined, nowMs: number): number {
  if (!code) return 0;
  // Never more than the code's life: a phone clock a little behind must not show 5:01.
  const life = (Date.parse(code.expires_at) - Date.parse(code.issued_at)) / 1000;
  return Math.max(0, Math.min(life, Math.ceil((Date.parse(code.expires_at) - nowMs) / 1000)));
}

const clock = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
const minutes = (seconds: number) => String(Math.max(1, Math.round(seconds / 60)));

/** Until when the session's passkey or TOTP check counts as recent (ms), if known. */
function strongUntilMs(account: AccountSummary): number | undefined {
  if (!account.strong_auth_at || !account.step_up_seconds_max) return undefined;
  return Date.parse(account.strong_auth_at) + account.step_up_seconds_max * 1000;
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Waits for the register to charge any code shown on this screen since `since`, asking
 * again after each empty answer, until `untilMs`; stops when the screen goes away.
 */
function useCodePaid(since: string | undefined, untilMs: number, onPaid: (p: Paid) => void) {
  useEffect(() => {
    if (!since) return;
    const stop = new AbortController();
    void (async () => {
      while (!stop.signal.aborted && Date.now() < untilMs) {
        try {
          const url = `${W.codePaymentsNext}${query({ after: since, wait_seconds: WAIT_SECONDS })}`;
          const n = await call<CodePaymentNotice>(url, { signal: stop.signal });
          if (n.payment && n.balance !== undefined) {
            return onPaid({ payment: n.payment, balance: n.balance });
          }
          if (n.retry_after_seconds) await pause(n.retry_after_seconds * 1000, stop.signal);
        } catch {
          // Offline for a moment, or the server restarting: ask again shortly.
          await pause(3000, stop.signal);
        }
      }
    })();
    return () => stop.abort();
  }, [since, untilMs]);
}

function CodeCard(props: { code: IssuedCode; left: number; total: number }) {
  const { t } = useT(S);
  const { code, left, total } = props;
  return (
    <section class="card code-card" aria-labelledby="code-h" data-testid="payment-code">
      <h2 id="code-h" class="sr-only">
        {t('paymentCode')}
      </h2>
      <img class="qr" src={code.qr_svg} alt={t('qrAlt')} />
      <img class="barcode" src={code.barcode_svg} alt={t('barcodeAlt')} />
      <p class="digits" data-testid="code-digits" aria-label={t('paymentCode')}>
        {code.display}
      </p>
      <p class={left <= 10 ? 'countdown low' : 'countdown'} role="timer" aria-live="off">
        {t('expiresIn', { time: clock(left) })}
      </p>
      <progress max={total} value={left} aria-label={t('timeLeft')} />
    </section>
  );
}

/** The register charged the code: what was paid, where, and what is left. */
function PaidCard(props: { paid: Paid }) {
  const { t, lang } = useT(S);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const { payment, balance } = props.paid;
  return (
    <section class="result approved" role="status" data-testid="code-paid">
      <h2 class="big" tabIndex={-1} ref={heading}>
        ✓ {t('codePaid')}
      </h2>
      <p class="big">{yen(payment.amount, lang, payment.currency)}</p>
      {payment.store_name && <p>{t('paidAt', { store: payment.store_name })}</p>}
      <p>{t('balanceNow', { amount: yen(balance, lang, payment.currency) })}</p>
      <p class="muted mono">{payment.id}</p>
      <a class="button primary" href="#/home">
        {t('done')}
      </a>
    </section>
  );
}

export function PayPage(props: { account: AccountSummary }) {
  const { t } = useT(S);
  const form = useForm();
  const [code, setCode] = useState<IssuedCode | undefined>();
  const [since, setSince] = useState<string | undefined>();
  const [paid, setPaid] = useState<Paid | undefined>();
  const [now, setNow] = useState(Date.now());
  const [refreshes, setRefreshes] = useState(0);
  const issue = () =>
    form.run(async () => {
      const c = await walletCall<IssuedCode>(W.paymentCodes, {
        account: props.account,
        action: 'payment_code',
        body: {},
      });
      setCode(c);
      setSince((s) => s ?? c.issued_at);
    });
  useEffect(() => {
    void issue();
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const listenUntil = code ? Date.parse(code.expires_at) + LISTEN_AFTER_EXPIRY_MS : 0;
  useCodePaid(paid ? undefined : since, listenUntil, setPaid);
  const left = secondsLeft(code, now);
  const strongUntil = strongUntilMs(props.account);
  const recent = strongUntil !== undefined && strongUntil - now > STEP_UP_MARGIN_MS;
  useEffect(() => {
    const due = code && Date.parse(code.expires_at) - now <= REFRESH_BEFORE_EXPIRY_MS;
    const quiet = !form.busy && !paid && document.visibilityState !== 'hidden';
    if (due && quiet && recent && refreshes < AUTO_REFRESHES_MAX) {
      setRefreshes(refreshes + 1);
      void issue();
    }
  }, [now]);
  if (paid) return <PaidCard paid={paid} />;
  const lifetime = code ? (Date.parse(code.expires_at) - Date.parse(code.issued_at)) / 1000 : 0;
  const window = props.account.step_up_seconds_max;
  const expired = code !== undefined && left === 0;
  return (
    <>
      <h1>{t('payTitle')}</h1>
      {code && <p class="muted">{t('payIntro', { minutes: minutes(lifetime) })}</p>}
      {window && <p class="muted">{t('payStepUp', { minutes: minutes(window) })}</p>}
      <FormError form={form} />
      {code && !expired && <CodeCard code={code} left={left} total={Math.max(1, lifetime)} />}
      {(expired || (!code && !form.busy)) && (
        <div class="card">
          <p>{t('codeExpired')}</p>
          {!recent && <p class="muted">{t('newCodeAsks')}</p>}
          <button
            class="primary"
            onClick={() => {
              setRefreshes(0);
              void issue();
            }}
          >
            {t('newCode')}
          </button>
        </div>
      )}
    </>
  );
}
