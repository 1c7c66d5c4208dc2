import { useState } from 'preact/hooks';
import { ApiError, call } from '../../ui/api.ts';
import { qrDataUrl } from '../../ui/codes.ts';
import { useT } from '../../ui/i18n.tsx';
import { navigate, Notice } from '../../ui/kit.tsx';
import { passkeysSupported, usePasskey } from '../../ui/passkey.ts';
import {
  CodeField,
  Field,
  FormCard,
  formValues,
  PasswordField,
  Submit,
  useForm,
} from '../../ui/form.tsx';
import type { Me } from './merchant.ts';
import { S } from './strings.ts';

// The dashboard's front door: sign-in with email, password and a second factor together (an
// authenticator code, a passkey, or a recovery code in their place), and accepting an
// invitation, which sets the password and enrols the authenticator before the account exists.

type Factor = 'totp' | 'recovery' | 'passkey';

export function SignIn(props: { onDone(me: Me): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [factor, setFactor] = useState<Factor>('totp');
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const body = { email: v['email'], password: v['password'] };
      if (factor === 'passkey') {
        props.onDone(await signInWithPasskey(body, t));
        return;
      }
      const code =
        factor === 'recovery'
          ? { recovery_code: v['recovery_code'] }
          : { totp_code: v['totp_code'] };
      props.onDone(await call<Me>('/v1/dashboard/login', { body: { ...body, ...code } }));
    }, ['email', 'password', 'totp_code', 'recovery_code']);
  };
  const head = (
    <>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t(factor === 'passkey' ? 'signInPasskeyNote' : 'signInNote')}</p>
    </>
  );
  const other = (f: Factor, label: Parameters<typeof t>[0]) =>
    factor !== f && (
      <p>
        <button type="button" class="link" onClick={() => setFactor(f)}>
          {t(label)}
        </button>
      </p>
    );
  return (
    <FormCard form={form} onSubmit={submit} head={head} testId="dashboard-sign-in">
      <Field name="email" type="email" label={t('email')} autocomplete="username" required />
      <PasswordField name="password" label={t('password')} required />
      {factor === 'recovery' && (
        <Field name="recovery_code" label={t('recoveryCode')} autocomplete="off" required />
      )}
      {factor === 'totp' && <CodeField name="totp_code" label={t('totpCode')} required />}
      {passkeysSupported() && other('passkey', 'usePasskeyInstead')}
      {other('totp', 'useTotp')}
      {other('recovery', 'useRecoveryCode')}
      <Submit>{t(factor === 'passkey' ? 'signInWithPasskey' : 'signIn')}</Submit>
    </FormCard>
  );
}

/**
 * Password and passkey together: the browser's prompt answers sign-in options that name no
 * account, and the server checks the passkey belongs to the person whose password is right.
 * A refusal of the prompt (cancelled, timed out, no passkey here) is said in plain words.
 */
async function signInWithPasskey(
  body: { email: string | undefined; password: string | undefined },
  t: (k: 'passkeyPromptFailed' | 'passkeyCredentialsInvalid') => string,
): Promise<Me> {
  const options = await call<Record<string, unknown>>('/v1/dashboard/login/passkey-options', {
    body: {},
  });
  let passkey: unknown;
  try {
    passkey = await usePasskey(options);
  } catch {
    throw new ApiError(0, { code: 'passkey_prompt_failed', message: t('passkeyPromptFailed') });
  }
  try {
    return await call<Me>('/v1/dashboard/login', { body: { ...body, passkey } });
  } catch (err) {
    // The API's words name the authenticator code; here the second factor was a passkey.
    if (err instanceof ApiError && err.code === 'person_credentials_invalid') {
      const message = t('passkeyCredentialsInvalid');
      throw new ApiError(err.status, { code: 'passkey_credentials_invalid', message });
    }
    throw err;
  }
}

interface Enrolment {
  email: string;
  role: string;
  totp_secret: string;
  otpauth_uri: string;
  qr: string;
}

/** Accepting an invitation: a password, then the authenticator, then the recovery codes. */
export function AcceptInvitation(props: { token: string; onDone(me: Me): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [enrolment, setEnrolment] = useState<Enrolment | undefined>();
  const [done, setDone] = useState<(Me & { recovery_codes: string[] }) | undefined>();
  const start = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      if (v['password'] !== v['password_again']) {
        form.setErrors({ password_again: t('passwordsDiffer') });
        return;
      }
      const body = { token: props.token, password: v['password'] };
      const r = await call<Omit<Enrolment, 'qr'>>('/v1/dashboard/invitation/start', { body });
      setEnrolment({ ...r, qr: await qrDataUrl(r.otpauth_uri) });
    }, ['password']);
  };
  const confirm = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const body = { token: props.token, totp_code: v['totp_code'] };
      setDone(await call('/v1/dashboard/invitation/confirm', { body }));
    }, ['totp_code']);
  };
  if (done) return <RecoveryCodes codes={done.recovery_codes} onDone={() => props.onDone(done)} />;
  if (enrolment) {
    const head = (
      <>
        <h1>{t('enrolTitle')}</h1>
        <p>{t('enrolNote')}</p>
        <img class="qr" src={enrolment.qr} alt={t('totpQrAlt')} width={192} height={192} />
        <p class="mono secret" data-testid="totp-secret">
          {enrolment.totp_secret}
        </p>
      </>
    );
    return (
      <FormCard form={form} onSubmit={confirm} head={head} testId="invitation-confirm">
        <CodeField name="totp_code" label={t('totpCode')} required />
        <Submit>{t('enrolConfirm')}</Submit>
      </FormCard>
    );
  }
  const head = (
    <>
      <h1>{t('inviteTitle')}</h1>
      <p class="muted">{t('inviteNote')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={start} head={head} testId="invitation-start">
      <PasswordField
        name="password"
        label={t('newPassword')}
        autocomplete="new-password"
        required
      />
      <PasswordField
        name="password_again"
        label={t('newPasswordAgain')}
        autocomplete="new-password"
        required
      />
      <Submit>{t('inviteNext')}</Submit>
    </FormCard>
  );
}

function RecoveryCodes(props: { codes: string[]; onDone(): void }) {
  const { t } = useT(S);
  return (
    <section class="card" data-testid="recovery-codes">
      <h1>{t('recoveryTitle')}</h1>
      <Notice kind="info">{t('recoveryNote')}</Notice>
      <ul class="mono">
        {props.codes.map((c) => (
          <li>{c}</li>
        ))}
      </ul>
      <button
        class="primary"
        onClick={() => {
          navigate('/payments');
          props.onDone();
        }}
      >
        {t('recoveryDone')}
      </button>
    </section>
  );
}
