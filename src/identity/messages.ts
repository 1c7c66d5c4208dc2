import type { NotifyMessage } from '../notify/index.ts';
import { toEveryContact, type Contacts } from './context.ts';

// The texts identity sends. Codes are only ever sent to a contact already on the account
// (or, for a sign-up or a change of contact, to the new address being proven); notices go
// to every contact so that a takeover in progress is seen by the real owner.

export function signupCode(
  channel: 'email' | 'sms',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return {
    channel,
    to,
    subject: 'Your Kinko sign-up code',
    text: `Your Kinko sign-up code is ${code}. It expires in ${minutes} minutes.`,
  };
}

export function signupAttemptNotice(channel: 'email' | 'sms', to: string): NotifyMessage {
  return {
    channel,
    to,
    subject: 'Someone tried to sign up with your address',
    text:
      'Someone tried to create a Kinko account with this address, which already has one. ' +
      'If it was you, sign in or recover your account instead. Nothing was changed.',
  };
}

export function deviceCode(
  phone: string,
  name: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return {
    channel: 'sms',
    to: phone,
    subject: 'Confirm a new device',
    text: `Kinko code ${code} confirms the new device "${name}". Expires in ${minutes} min.`,
  };
}

export function notice(contacts: Contacts, subject: string, text: string): NotifyMessage[] {
  return toEveryContact(
    contacts,
    subject,
    `${text} If this was not you, recover your account now and contact Kinko support.`,
  );
}

export function contactCode(
  channel: 'email' | 'phone',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return {
    channel: channel === 'email' ? 'email' : 'sms',
    to,
    subject: 'Confirm your new contact',
    text: `Your Kinko confirmation code is ${code}. It expires in ${minutes} minutes.`,
  };
}

export function recoveryCodeMessage(
  channel: 'email' | 'sms',
  to: string,
  code: string,
  minutes: number,
): NotifyMessage {
  return {
    channel,
    to,
    subject: 'Your Kinko account recovery code',
    text:
      `Your Kinko recovery code is ${code}. It expires in ${minutes} minutes. ` +
      'Kinko will never ask you for it. If you did not ask to recover your account, ignore this.',
  };
}

export function recoveryDoneNotice(
  contacts: Contacts,
  freezeLinks: { email: string; phone: string },
  holdHours: number,
): NotifyMessage[] {
  const hold = holdHours > 0 ? ` Payments and top-ups are paused for ${holdHours} hours.` : '';
  const text =
    'The password of your Kinko account was reset and every other session was signed out.' + hold;
  return [
    {
      channel: 'email',
      to: contacts.email,
      subject: 'Your Kinko password was reset',
      text: `${text}\n\nThis was not me — freeze my account: ${freezeLinks.email}`,
    },
    {
      channel: 'sms',
      to: contacts.phone,
      subject: 'Your Kinko password was reset',
      text: `Kinko: ${text} Not you? Freeze: ${freezeLinks.phone}`,
    },
  ];
}
