import type { NotifyMessage } from '../notify/index.ts';

// Every text payments sends a customer, in one place: the receipts of top-ups, payments and
// refunds (email and SMS, both with the receipt's "this was not me" freeze link) and the
// receipt line of the wallet's history. Japanese first, as the apps are, then English. A
// payment names the store by its name, as the customer saw it at the register, never by its
// id.

export function yen(amount: bigint): string {
  // Digits grouped by three by hand: Intl's grouping (toLocaleString) cost more than the
  // rest of a receipt's text, and a yen amount needs nothing locale-specific.
  const digits = (amount < 0n ? -amount : amount).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return `¥${amount < 0n ? '-' : ''}${grouped}`;
}

/** One receipt in both languages: a subject and a sentence each. */
export interface ReceiptText {
  subject: { ja: string; en: string };
  text: { ja: string; en: string };
}

export function topupReceipt(amount: bigint, receiptId: string): ReceiptText {
  return {
    subject: { ja: `チャージ ${yen(amount)}`, en: `Kinko top-up ${yen(amount)}` },
    text: {
      ja: `ウォレットに ${yen(amount)} をチャージしました（領収書番号 ${receiptId}）。`,
      en: `Your wallet was topped up with ${yen(amount)} (receipt ${receiptId}).`,
    },
  };
}

export function paymentReceipt(amount: bigint, storeName: string, receiptId: string): ReceiptText {
  return {
    subject: { ja: `お支払い ${yen(amount)}`, en: `Kinko payment ${yen(amount)}` },
    text: {
      ja: `${storeName} で ${yen(amount)} をお支払いいただきました（領収書番号 ${receiptId}）。`,
      en: `You paid ${yen(amount)} at ${storeName} (receipt ${receiptId}).`,
    },
  };
}

/** A refund names the store where the refunded payment was made, as its payment did. */
export function refundReceipt(amount: bigint, storeName: string, receiptId: string): ReceiptText {
  return {
    subject: { ja: `返金 ${yen(amount)}`, en: `Kinko refund ${yen(amount)}` },
    text: {
      ja: `${storeName} でのお支払いについて ${yen(amount)} が返金されました（領収書番号 ${receiptId}）。`,
      en:
        `You were refunded ${yen(amount)} for your payment at ${storeName} ` +
        `(receipt ${receiptId}).`,
    },
  };
}

/** The receipt as an email and an SMS, both with the receipt's freeze link. */
export function receiptMessages(
  r: ReceiptText,
  to: { email: string; phone: string },
  link: string,
): NotifyMessage[] {
  const subject = `【Kinko】${r.subject.ja} / ${r.subject.en}`;
  return [
    {
      channel: 'email',
      to: to.email,
      subject,
      text:
        `${r.text.ja}\n\n${r.text.en}\n\n` +
        `心当たりがない場合はアカウントを凍結 / This was not me — freeze my account: ${link}`,
    },
    {
      channel: 'sms',
      to: to.phone,
      subject,
      text:
        `【Kinko】${r.text.ja}\nKinko: ${r.text.en}\n` +
        `心当たりがない場合 / Not you? Freeze: ${link}`,
    },
  ];
}

/** The one-line receipt the wallet's history shows (Japanese, the app's language). */
export function receiptLine(kind: string, amount: bigint, storeName: string | null): string {
  if (kind === 'topup') return `チャージ ${yen(amount)}`;
  if (kind === 'refund')
    return storeName ? `返金 ${yen(amount)}（${storeName}）` : `返金 ${yen(amount)}`;
  return storeName ? `お支払い ${yen(amount)}（${storeName}）` : `お支払い ${yen(amount)}`;
}

/**
 * A top-up held for review: nothing was charged yet, and the customer hears why in plain
 * words (the reason's words, never the rule) and that the outcome follows.
 */
export function topupHeldText(amount: bigint, topupId: string, why: string): ReceiptText {
  const because = why ? { ja: `（${why}）`, en: ` (${why})` } : { ja: '', en: '' };
  return {
    subject: { ja: `チャージの確認中 ${yen(amount)}`, en: `Kinko top-up on hold ${yen(amount)}` },
    text: {
      ja:
        `${yen(amount)} のチャージ（${topupId}）を確認しています${because.ja}。` +
        'カードへの請求はまだ行っていません。結果はメールとアプリでお知らせします。',
      en:
        `We are checking your top-up of ${yen(amount)} (${topupId})${because.en}. ` +
        'Your card has not been charged. We will tell you the outcome by email and in the app.',
    },
  };
}

/** A held top-up declined by a reviewer: nothing was charged and nothing will be. */
export function topupDeclinedText(amount: bigint, topupId: string): ReceiptText {
  return {
    subject: {
      ja: `チャージできませんでした ${yen(amount)}`,
      en: `Kinko top-up declined ${yen(amount)}`,
    },
    text: {
      ja:
        `確認の結果、${yen(amount)} のチャージ（${topupId}）はお受けできませんでした。` +
        'カードへの請求はありません。お心当たりのない場合はサポートにご連絡ください。',
      en:
        `After a review, your top-up of ${yen(amount)} (${topupId}) was not accepted. ` +
        'Your card was not charged. If this was not you, please contact support.',
    },
  };
}

/** A notice by email alone (a review's outcome is not urgent enough for an SMS). */
export function emailMessage(r: ReceiptText, to: string): NotifyMessage {
  return {
    channel: 'email',
    to,
    subject: `【Kinko】${r.subject.ja} / ${r.subject.en}`,
    text: `${r.text.ja}\n\n${r.text.en}`,
  };
}
