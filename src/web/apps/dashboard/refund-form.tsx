import { useState } from 'preact/hooks';
import { amountJson, amountMessage, parseAmount } from '../../ui/amount.ts';
import { ApiError } from '../../ui/api.ts';
import { useT, yen, type Lang, type Translate } from '../../ui/i18n.tsx';
import { Notice } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Select } from '../../ui/form.tsx';
import { mcall } from './merchant.ts';
import { S } from './strings.ts';

// A refund, all or part, of a card or register payment. Nothing is sent until the merchant
// has seen the exact amount and confirmed it: a blank amount means "what remains", and that
// is spelled out in yen before any money moves. A refusal is named in plain words (how much
// may still be refunded, a test key, an unknown payment), never a generic "check the input".

/** The refusal in the reader's language, with the amount still refundable when known. */
function refundErrorText(err: unknown, lang: Lang, t: Translate<typeof S>): string {
  if (!(err instanceof ApiError)) return t('refundFailedUnknown');
  const left = err.body['refundable'];
  switch (err.code) {
    case 'refund_exceeds_payment':
    case 'refund_amount_exceeds_refundable':
      return left === undefined
        ? t('refundTooMuch')
        : t('refundTooMuchLeft', { amount: yen(String(left), lang) });
    case 'livemode_required':
      return t('refundLiveOnly');
    case 'payment_not_found':
    case 'web_payment_not_found':
      return t('refundNoPayment');
    case 'refund_not_allowed':
    case 'payment_not_refundable':
      return t('refundNotAllowed');
    default:
      return lang === 'ja' ? `${t('refundFailed')} (${err.message})` : err.message;
  }
}

/** The last step: the exact amount, spelled out, and a button that names it. */
function ConfirmRefund(props: { amount: string; busy: boolean; onYes(): void; onNo(): void }) {
  const { t } = useT(S);
  return (
    <div class="notice info" role="alertdialog" aria-live="assertive" data-testid="confirm">
      <p>{t('refundConfirm', { amount: props.amount })}</p>
      <div class="actions">
        <button type="button" class="primary" disabled={props.busy} onClick={props.onYes}>
          {t('refundExact', { amount: props.amount })}
        </button>
        <button type="button" disabled={props.busy} onClick={props.onNo}>
          {t('cancel')}
        </button>
      </div>
    </div>
  );
}

interface RefundProps {
  path: string;
  remaining: number;
  currency: string;
  onDone(): void;
}

/** The form's steps: check the amount (ask), then send it once confirmed (confirm). */
function useRefund(props: RefundProps) {
  const { t, lang } = useT(S);
  const [pending, setPending] = useState<{ amount: number; reason: string } | undefined>();
  const [error, setError] = useState<{ field?: string; text: string } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const ask = (e: Event) => {
    const v = formValues(e);
    setDone(undefined);
    setError(undefined);
    const typed = (v['amount'] ?? '').trim();
    // The apps' one amount reader: "1,000" is ¥1,000, never ¥1; anything else is refused.
    const reading = typed === '' ? undefined : parseAmount(typed);
    if (reading && !reading.ok) {
      return setError({ field: 'amount', text: amountMessage(reading, lang) });
    }
    const amount = reading ? amountJson(reading.minor) : props.remaining;
    if (amount > props.remaining) {
      const text = t('refundTooMuchLeft', { amount: yen(props.remaining, lang) });
      return setError({ field: 'amount', text });
    }
    setPending({ amount, reason: v['reason'] ?? '' });
  };
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      const body: Record<string, unknown> = { amount: pending.amount };
      if (pending.reason) body['reason'] = pending.reason;
      const r = await mcall<{ amount: number | string; currency: string }>(props.path, { body });
      setDone(t('refunded', { amount: yen(r.amount, lang, r.currency) }));
      props.onDone();
    } catch (err) {
      setError({ text: refundErrorText(err, lang, t) });
    } finally {
      setPending(undefined);
      setBusy(false);
    }
  };
  return { pending, error, done, busy, ask, confirm, cancel: () => setPending(undefined) };
}

export function RefundForm(props: RefundProps) {
  const { t, lang } = useT(S);
  const { pending, error, done, busy, ask, confirm, cancel } = useRefund(props);
  if (props.remaining <= 0 && !done) return null;
  const form = {
    errors: error?.field ? { [error.field]: error.text } : {},
    general: error && !error.field ? error.text : undefined,
  };
  const head = (
    <>
      <h2>{t('refund')}</h2>
      {done && <Notice kind="ok">{done}</Notice>}
    </>
  );
  return (
    <FormCard form={form} onSubmit={ask} head={head} testId="refund-form">
      <Field
        name="amount"
        label={t('refundAmount')}
        inputMode="numeric"
        autocomplete="off"
        hint={t('refundHint', { amount: yen(props.remaining, lang, props.currency) })}
      />
      <Select
        name="reason"
        label={t('reason')}
        options={[
          ['requested_by_customer', t('reasonRequested')],
          ['duplicate', t('reasonDuplicate')],
          ['fraudulent', t('reasonFraudulent')],
        ]}
      />
      {pending ? (
        <ConfirmRefund
          amount={yen(pending.amount, lang, props.currency)}
          busy={busy}
          onYes={() => void confirm()}
          onNo={cancel}
        />
      ) : (
        <button type="submit" class="primary">
          {t('refundReview')}
        </button>
      )}
    </FormCard>
  );
}
