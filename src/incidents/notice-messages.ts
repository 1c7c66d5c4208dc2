import type { NotifyMessage } from '../notify/index.ts';

// The notice an incident sends to each customer in its scope, in one place. Like every Kinko
// message it is Japanese first, then English: what happened, what Kinko did, what to do, whom
// to call, and the "this was not me" link that freezes the account at once.

interface NoticeFacts {
  email: string;
  phone: string;
  /** The incident's help desk, as the operator gave it (a phone number, hours, an address). */
  contact: string;
  freezeLinks: { email: string; phone: string };
}

const SUBJECT =
  '【Kinko】お客様のアカウントに関する重要なお知らせ / Important notice about your account';

const WHAT = {
  ja:
    'お客様のアカウントで、第三者による不正なログイン、チャージまたは支払いが行われた可能性が' +
    'あります。',
  en:
    'Someone else may have signed in to your Kinko account, topped it up or paid with it ' +
    'without your permission.',
};
const DONE = {
  ja:
    'Kinko は該当するサービスを停止し、影響を受けた取引を調査しています。不正と確認された' +
    'ご利用分は Kinko が補償します。',
  en:
    'Kinko has suspended the services involved and is investigating the transactions ' +
    'affected. Kinko will compensate every payment and top-up found to be fraudulent.',
};
const STEPS = {
  ja:
    'パスワードを変更し、ご利用履歴とカードの明細をご確認ください。Kinko がパスワードや' +
    'カード番号をメールや SMS でお尋ねすることはありません。',
  en:
    'Change your password and check your Kinko history and card statements. Kinko never asks ' +
    'for your password or card number by email or SMS.',
};

/** The email and the SMS for one customer; each carries its own freeze link. */
export function incidentNotices(f: NoticeFacts): NotifyMessage[] {
  const email =
    `${WHAT.ja}\n${DONE.ja}\n${STEPS.ja}\nお問い合わせ: ${f.contact}\n\n` +
    `${WHAT.en}\n${DONE.en}\n${STEPS.en}\nContact: ${f.contact}\n\n` +
    `心当たりのない取引がある場合はアカウントを凍結 / This was not me — freeze my account: ` +
    f.freezeLinks.email;
  const sms =
    `【Kinko】不正利用の可能性があります。パスワードを変更してください。問合せ: ${f.contact}\n` +
    `Kinko: your account may have been misused; change your password. Contact: ${f.contact}\n` +
    `心当たりがない場合 / Not you? Freeze: ${f.freezeLinks.phone}`;
  return [
    { channel: 'email', to: f.email, subject: SUBJECT, text: email },
    { channel: 'sms', to: f.phone, subject: SUBJECT, text: sms },
  ];
}

/** The email telling a customer the credit Kinko posted to their wallet. */
export function compensationNotice(email: string, amountMinor: bigint): NotifyMessage {
  const yen = amountMinor.toLocaleString('en-US');
  return {
    channel: 'email',
    to: email,
    subject: '【Kinko】補償のお知らせ / Kinko has compensated you',
    text:
      `不正利用の補償として ¥${yen} をお客様の Kinko 残高に入金しました。\n\n` +
      `Kinko has credited ¥${yen} to your Kinko balance as compensation for the misuse ` +
      'of your account.',
  };
}

/** What a merchant's notice says about the merchant's own business in the incident. */
export interface MerchantFacts {
  merchantId: string;
  payments: number;
  amountMinor: bigint;
  stores: number;
  /** The scope run's window. */
  from: string;
  to: string;
  contact: string;
}

const MERCHANT_SUBJECT =
  '【Kinko】加盟店様へのセキュリティインシデントのお知らせ / Security incident notice for merchants';

/** The email to a merchant's owners and admins: the same facts as the webhook event. */
export function merchantNotice(to: string, f: MerchantFacts): NotifyMessage {
  const yen = f.amountMinor.toLocaleString('en-US');
  const text =
    `Kinko で発生したセキュリティインシデントにより、貴社の取引の一部が影響を受けた可能性が` +
    `あります。対象期間 ${f.from} 〜 ${f.to} に、${f.stores} 店舗で ${f.payments} 件、` +
    `合計 ¥${yen} の決済が該当します。Kinko は該当サービスを停止し調査しています。` +
    `ダッシュボードで取引をご確認のうえ、不審な取引があればご連絡ください。` +
    `お問い合わせ: ${f.contact}\n\n` +
    `A security incident at Kinko may have affected some of your transactions: ` +
    `${f.payments} payments totalling ¥${yen} at ${f.stores} stores between ${f.from} and ` +
    `${f.to}. Kinko has suspended the services involved and is investigating. Please review ` +
    `these payments in your dashboard and tell us of anything unusual. Contact: ${f.contact}\n\n` +
    `加盟店 / Merchant: ${f.merchantId}`;
  return { channel: 'email', to, subject: MERCHANT_SUBJECT, text };
}
