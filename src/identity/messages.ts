import type { NotifyMessage } from '../notify/index.ts';
import type { Contacts } from './context.ts';

// Every text identity sends, in one place. Codes are only ever sent to a contact already on
// the account (or, for a sign-up or a change of contact, to the new address being proven);
// notices go to every contact so that a takeover in progress is seen by the real owner.
//
// The apps speak Japanese first, and so do the messages: each is Japanese, then English for
// those who do not read it. An email has the two as paragraphs; an SMS has them on one line
// each, since a phone shows only the first lines of a message.

/** One text in both languages. */
export interface Bilingual {
  ja: string;
  en: string;
}

/** A notice to every contact of an account: what happened, in both languages. */
export interface Notice {
  subject: Bilingual;
  text: Bilingual;
}

const NOT_YOU: Bilingual = {
  ja: '心当たりがない場合は、すぐにアカウントを復旧し、Kinko サポートにご連絡ください。',
  en: 'If this was not you, recover your account now and contact Kinko support.',
};

function subjectOf(s: Bilingual): string {
  return `【Kinko】${s.ja} / ${s.en}`;
}

function message(channel: 'email' | 'sms', to: string, s: Bilingual, t: Bilingual): NotifyMessage {
  const text = channel === 'email' ? `${t.ja}\n\n${t.en}` : `【Kinko】${t.ja}\nKinko: ${t.en}`;
  return { channel, to, subject: subjectOf(s), text };
}

export function signupCode(
  channel: 'email' | 'sms',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return message(
    channel,
    to,
    { ja: '登録確認コード', en: 'Your Kinko sign-up code' },
    {
      ja: `Kinko の登録確認コードは ${code} です。有効期限は ${minutes} 分です。`,
      en: `Your Kinko sign-up code is ${code}. It expires in ${minutes} minutes.`,
    },
  );
}

export function signupAttemptNotice(channel: 'email' | 'sms', to: string): NotifyMessage {
  return message(
    channel,
    to,
    {
      ja: 'お客様の連絡先で登録が試みられました',
      en: 'Someone tried to sign up with your address',
    },
    {
      ja:
        'すでにアカウントのあるこの連絡先で、Kinko アカウントの作成が試みられました。' +
        'ご本人の場合は、ログインするかアカウントを復旧してください。何も変更されていません。',
      en:
        'Someone tried to create a Kinko account with this address, which already has one. ' +
        'If it was you, sign in or recover your account instead. Nothing was changed.',
    },
  );
}

export function deviceCode(
  phone: string,
  name: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return message(
    'sms',
    phone,
    { ja: '新しい端末の確認', en: 'Confirm a new device' },
    {
      ja: `確認コード ${code} で新しい端末「${name}」を確認します。有効期限 ${minutes} 分。`,
      en: `Kinko code ${code} confirms the new device "${name}". Expires in ${minutes} min.`,
    },
  );
}

/** The same notice to every verified contact of an account. */
export function notice(contacts: Contacts, n: Notice): NotifyMessage[] {
  const text = { ja: `${n.text.ja}${NOT_YOU.ja}`, en: `${n.text.en} ${NOT_YOU.en}` };
  return [
    message('email', contacts.email, n.subject, text),
    message('sms', contacts.phone, n.subject, text),
  ];
}

export function contactCode(
  channel: 'email' | 'phone',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return message(
    channel === 'email' ? 'email' : 'sms',
    to,
    { ja: '新しい連絡先の確認', en: 'Confirm your new contact' },
    {
      ja: `Kinko の確認コードは ${code} です。有効期限は ${minutes} 分です。`,
      en: `Your Kinko confirmation code is ${code}. It expires in ${minutes} minutes.`,
    },
  );
}

export function recoveryCodeMessage(
  channel: 'email' | 'sms',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return message(
    channel,
    to,
    { ja: 'アカウント復旧コード', en: 'Your Kinko account recovery code' },
    {
      ja:
        `Kinko のアカウント復旧コードは ${code} です。有効期限は ${minutes} 分です。` +
        'Kinko がこのコードをお尋ねすることはありません。' +
        '復旧を依頼していない場合は、このメッセージを無視してください。',
      en:
        `Your Kinko recovery code is ${code}. It expires in ${minutes} minutes. ` +
        'Kinko will never ask you for it. If you did not ask to recover your account, ignore this.',
    },
  );
}

export function recoveryDoneNotice(
  contacts: Contacts,
  freezeLinks: { email: string; phone: string },
  holdHours: number,
): NotifyMessage[] {
  const subject = { ja: 'パスワードがリセットされました', en: 'Your Kinko password was reset' };
  const hold = {
    ja: holdHours > 0 ? `支払いとチャージは ${holdHours} 時間停止されます。` : '',
    en: holdHours > 0 ? ` Payments and top-ups are paused for ${holdHours} hours.` : '',
  };
  const ja =
    'Kinko アカウントのパスワードがリセットされ、他のすべてのセッションはログアウトされました。' +
    hold.ja;
  const en =
    'The password of your Kinko account was reset and every other session was signed out.' +
    hold.en;
  const email = message('email', contacts.email, subject, { ja, en });
  const sms = message('sms', contacts.phone, subject, { ja, en });
  // The freeze link once, after both languages, so that each message carries one link.
  return [
    {
      ...email,
      text:
        `${email.text}\n\n` +
        `心当たりがない場合はアカウントを凍結 / This was not me — freeze my account: ${freezeLinks.email}`,
    },
    { ...sms, text: `${sms.text}\n心当たりがない場合 / Not you? Freeze: ${freezeLinks.phone}` },
  ];
}

// Notices about changes to an account, each told to every contact.

export const PASSWORD_CHANGED: Notice = {
  subject: { ja: 'パスワードが変更されました', en: 'Your Kinko password changed' },
  text: { ja: 'アカウントのパスワードが変更されました。', en: 'Your password was changed.' },
};

export const ACCOUNT_DELETED: Notice = {
  subject: { ja: 'アカウントを削除しました', en: 'Your Kinko account was deleted' },
  text: {
    ja: 'Kinko アカウントと登録カードを削除しました。ご利用ありがとうございました。',
    en: 'Your Kinko account and its cards were deleted. Thank you for using Kinko.',
  },
};

export const ACCOUNT_FROZEN: Notice = {
  subject: { ja: 'アカウントを凍結しました', en: 'Your Kinko account is frozen' },
  text: {
    ja: 'アカウントを凍結し、すべてのセッションをログアウトしました。解除はサポートにご連絡ください。',
    en: 'Your account was frozen and every session signed out. Contact support to restore it.',
  },
};

export const ACCOUNT_RESTORED: Notice = {
  subject: { ja: 'アカウントの凍結を解除しました', en: 'Your Kinko account was restored' },
  text: {
    ja: 'Kinko サポートがアカウントの凍結を解除しました。もう一度ログインしてご利用ください。',
    en: 'Kinko support unfroze your account; sign in again to use it.',
  },
};

const CHANNEL_JA = { email: 'メールアドレス', phone: '電話番号' } as const;

export function contactChanged(channel: 'email' | 'phone'): Notice {
  return {
    subject: { ja: `${CHANNEL_JA[channel]}が変更されました`, en: `Your Kinko ${channel} changed` },
    text: {
      ja: `アカウントの${CHANNEL_JA[channel]}が変更されました。`,
      en: `The ${channel} on your account was changed.`,
    },
  };
}

export type EnrolledFactor = 'totp' | 'passkey' | 'recovery_codes';

/** What a customer reads about each factor: the thing in their hand, not Kinko's name for it. */
const FACTOR_ADDED: Readonly<Record<EnrolledFactor, { ja: string; en: string }>> = {
  totp: {
    ja: 'アカウントに認証アプリが追加されました。',
    en: 'An authenticator app was added to your account.',
  },
  passkey: {
    ja: 'アカウントにパスキーが追加されました。',
    en: 'A passkey was added to your account.',
  },
  recovery_codes: {
    ja: 'アカウントの復旧コードが新しく発行されました。',
    en: 'New recovery codes were issued for your account.',
  },
};

export function factorAdded(factor: EnrolledFactor): Notice {
  return {
    subject: { ja: 'ログイン要素が変更されました', en: 'Your Kinko sign-in factors changed' },
    text: FACTOR_ADDED[factor],
  };
}

export function deviceAdded(name: string): Notice {
  return {
    subject: {
      ja: '新しい端末が追加されました',
      en: 'A new device was added to your Kinko account',
    },
    text: {
      ja: `端末「${name}」がアカウントに追加され、確認を待っています。`,
      en: `The device "${name}" was added to your account and waits for confirmation.`,
    },
  };
}

export function deviceConfirmed(name: string): Notice {
  return {
    subject: {
      ja: '端末が確認されました',
      en: 'A device was confirmed on your Kinko account',
    },
    text: {
      ja: `端末「${name}」がアカウントで使えるようになりました。`,
      en: `The device "${name}" can now be used with your account.`,
    },
  };
}

export function deviceRemoved(name: string): Notice {
  return {
    subject: {
      ja: '端末が削除されました',
      en: 'A device was removed from your Kinko account',
    },
    text: {
      ja: `端末「${name}」をアカウントから削除しました。今後は使えません。`,
      en: `The device "${name}" was removed from your account and can no longer be used.`,
    },
  };
}
