import { useEffect, useState } from 'preact/hooks';
import { useT } from '../../ui/i18n.tsx';
import { Notice, useForm } from '../../ui/kit.tsx';
import { walletCall, type AccountSummary } from './session.ts';
import { S } from './strings.ts';
import { W } from './wallet-api.ts';

// Pay at the register: a one-time payment code as a QR code and a Code 128 barcode (drawn by
// the API as SVG data URLs) with its digits underneath and a visible countdown. A new code
// is fetched a little before the old one expires, a bounded number of times, so a phone
// left on this screen does not issue codes forever.

interface IssuedCode {
  payment_code: string;
  display: string;
  qr_svg: string;
  barcode_svg: string;
  expires_at: string;
}

const REFRESH_BEFORE_EXPIRY_MS = 10_000;
const AUTO_REFRESHES_MAX = 10;

function secondsLeft(code: IssuedCode | undefined, nowMs: number): number {
  if (!code) return 0;
  return Math.max(0, Math.ceil((Date.parse(code.expires_at) - nowMs) / 1000));
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
        {t('expiresIn', { s: String(left) })}
      </p>
      <progress max={total} value={left} aria-label={t('timeLeft')} />
    </section>
  );
}

export function PayPage(props: { account: AccountSummary }) {
  const { t } = useT(S);
  const form = useForm();
  const [code, setCode] = useState<IssuedCode | undefined>();
  const [now, setNow] = useState(Date.now());
  const [refreshes, setRefreshes] = useState(0);
  const [total, setTotal] = useState(60);
  const issue = () =>
    form.run(async () => {
      const c = await walletCall<IssuedCode>(W.paymentCodes, {
        account: props.account,
        action: 'payment_code',
        body: {},
      });
      setCode(c);
      setTotal(Math.max(1, secondsLeft(c, Date.now())));
    });
  useEffect(() => {
    void issue();
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = secondsLeft(code, now);
  useEffect(() => {
    const due = code && Date.parse(code.expires_at) - now <= REFRESH_BEFORE_EXPIRY_MS;
    if (
      due &&
      !form.busy &&
      refreshes < AUTO_REFRESHES_MAX &&
      document.visibilityState !== 'hidden'
    ) {
      setRefreshes(refreshes + 1);
      void issue();
    }
  }, [now]);
  const expired = code !== undefined && left === 0;
  return (
    <>
      <h1>{t('payTitle')}</h1>
      <p class="muted">{t('payIntro')}</p>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      {code && !expired && <CodeCard code={code} left={left} total={total} />}
      {(expired || (!code && !form.busy)) && (
        <div class="card">
          <p>{t('codeExpired')}</p>
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
