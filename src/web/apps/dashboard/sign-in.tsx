import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { qrDataUrl } from '../../ui/codes.ts';
import { useT } from '../../ui/i18n.tsx';
import { navigate, Notice } from '../../ui/kit.tsx';
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
// authenticator code, or a recovery code in its place), and accepting an invitation, which
// sets the password and enrols the authenticator before the account exists.

export function SignIn(props: { onDone(me: Me): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [recovery, setRecovery] = useState(false);
  const submit = (e: Event) => {
    const v = formValues(e);
    const factor = recovery ? { recovery_code: v['recovery_code'] } : { totp_code: v['totp_code'] };
    void form.run(async () => {
      const body = { email: v['email'], password: v['password'], ...factor };
      props.onDone(await call<Me>('/v1/dashboard/login', { body }));
    }, ['email', 'password', 'totp_code', 'recovery_code']);
  };
  const head = (
    <>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t('signInNote')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head} testId="dashboard-sign-in">
      <Field name="email" type="email" label={t('email')} autocomplete="username" required />
      <PasswordField name="password" label={t('password')} required />
      {recovery ? (
        <Field name="recovery_code" label={t('recoveryCode')} autocomplete="off" required />
      ) : (
        <CodeField name="totp_code" label={t('totpCode')} required />
      )}
      <p>
        <button type="button" class="link" onClick={() => setRecovery(!recovery)}>
          {recovery ? t('useTotp') : t('useRecoveryCode')}
        </button>
      </p>
      <Submit>{t('signIn')}</Submit>
    </FormCard>
  );
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
