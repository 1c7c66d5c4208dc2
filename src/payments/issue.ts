import {
  formatPaymentCode,
  generatePaymentCode,
  paymentCodeBarcodeSvg,
  paymentCodeHmac,
  paymentCodeQrSvg,
} from '../codes/index.ts';
import { refusalOf } from '../risk/index.ts';
import { entry, WALLET_CURRENCY, type PaymentsDeps, type Source } from './context.ts';
import * as store from './store.ts';
import { paymentsError } from './errors.ts';

// Issuing a one-time payment code (CPM) to a bound, stepped-up device: 22 digits with 63
// random bits, valid codeSecondsMax, single use, bound to the customer and the device,
// stored only as its HMAC. The digits exist in this answer and on the phone, nowhere else.

interface IssuedCode {
  object: 'payment_code';
  /** The digits; named payment_code so that logs and stored replays redact them. */
  payment_code: string;
  display: string;
  qr_svg: string;
  barcode_svg: string;
  /** When the code was issued: the wallet waits for its payment after this time. */
  issued_at: string;
  expires_at: string;
}

const dataUrl = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;

export async function issueCode(
  deps: PaymentsDeps,
  who: { customerId: string; deviceId: string },
  source: Source,
): Promise<IssuedCode> {
  deps.switches.refuse({ operation: 'code_payments', ...who, source: source.ip });
  const assessment = await deps.risk.assess({
    kind: 'code_issue',
    customerId: who.customerId,
    deviceId: who.deviceId,
    amount: 0n,
    currency: WALLET_CURRENCY,
  });
  const refusal = refusalOf(assessment, true);
  if (refusal) {
    await deps.risk.recordRefusal(assessment);
    throw refusal;
  }
  const now = deps.clock.now();
  const active = await store.activeCodeCount(deps.sql, who.customerId, now);
  if (active >= deps.limits.codesActivePerCustomerMax) {
    throw paymentsError('payment_codes_too_many');
  }
  const code = generatePaymentCode();
  const expiresAt = new Date(now.getTime() + deps.limits.codeSecondsMax * 1000);
  await deps.sql.begin(async (tx) => {
    await store.insertCode(tx, {
      hmac: paymentCodeHmac(deps.codeKey, code),
      customer_id: who.customerId,
      device_id: who.deviceId,
      expires_at: expiresAt,
      created_at: now,
    });
    await deps.risk.record(tx, [{ a: assessment }]);
    await deps.audit.append(tx, [
      entry(
        'payments.code.issued',
        { type: 'customer', id: who.customerId },
        { type: 'device', id: who.deviceId },
        source,
        { expires_at: expiresAt.toISOString(), risk_decision: assessment.decision },
      ),
    ]);
  });
  const [qr, barcode] = await Promise.all([paymentCodeQrSvg(code), paymentCodeBarcodeSvg(code)]);
  return {
    object: 'payment_code',
    payment_code: code,
    display: formatPaymentCode(code),
    qr_svg: dataUrl(qr),
    barcode_svg: dataUrl(barcode),
    issued_at: now.toISOString(),
    expires_at: expiresAt.toISOString(),
  };
}
