import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { useT } from '../../ui/i18n.tsx';
import { Field, formValues, Notice, Submit, useForm } from '../../ui/kit.tsx';
import {
  deviceName,
  loadDevice,
  newDeviceKeys,
  publicJwk,
  saveDevice,
  type DeviceRecord,
} from './device.ts';
import { adoptPendingDevice, bindDevice } from './session.ts';
import { S } from './strings.ts';

// Signing up (email and phone codes, password, this browser's device key) and signing in
// (password, then binding the session to this browser's device — or registering it as a
// new device, confirmed by a code to the verified phone or a second factor).

export function SignUp(props: { onStarted(signupId: string, email: string): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const r = await call<{ signup_id: string }>('/v1/identity/signup', {
        body: { email: v['email'], phone: v['phone'], password: v['password'] },
      });
      props.onStarted(r.signup_id, v['email'] ?? '');
    }, ['email', 'phone', 'password']);
  };
  return (
    <form class="card" onSubmit={submit} noValidate>
      <h1>{t('signUpTitle')}</h1>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <Field
        name="email"
        label={t('email')}
        type="email"
        autocomplete="email"
        required
        errors={form.errors}
      />
      <Field
        name="phone"
        label={t('phone')}
        type="tel"
        autocomplete="tel"
        required
        errors={form.errors}
        hint={t('phoneHint')}
      />
      <Field
        name="password"
        label={t('password')}
        type="password"
        required
        autocomplete="new-password"
        errors={form.errors}
        hint={t('passwordHint')}
      />
      <Submit busy={form.busy}>{t('sendCodes')}</Submit>
      <p class="muted">
        {t('haveAccount')} <a href="#/signin">{t('signIn')}</a>
      </p>
    </form>
  );
}

export function VerifySignUp(props: { signupId: string; email: string; onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const keys = await newDeviceKeys();
      const pending: DeviceRecord = {
        owner: 'pending',
        deviceId: null,
        keys,
        createdAt: new Date().toISOString(),
      };
      await saveDevice(pending);
      const r = await call<{ customer_id: string; device_id: string }>(
        '/v1/identity/signup/verify',
        {
          body: {
            signup_id: props.signupId,
            email_code: v['email_code'],
            phone_code: v['phone_code'],
            device: { name: v['device_name'] || deviceName(), public_key: await publicJwk(keys) },
          },
        },
      );
      await adoptPendingDevice(r.customer_id, r.device_id);
      props.onDone();
    }, ['email_code', 'phone_code', 'device_name']);
  };
  return (
    <form class="card" onSubmit={submit} noValidate>
      <h1>{t('verifyTitle')}</h1>
      <p>{t('verifyIntro', { email: props.email })}</p>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <Field
        name="email_code"
        label={t('emailCode')}
        inputMode="numeric"
        required
        autocomplete="one-time-code"
        errors={form.errors}
      />
      <Field
        name="phone_code"
        label={t('phoneCode')}
        inputMode="numeric"
        required
        autocomplete="one-time-code"
        errors={form.errors}
      />
      <Field
        name="device_name"
        label={t('deviceName')}
        value={deviceName()}
        errors={form.errors}
        hint={t('deviceNameHint')}
      />
      <Submit busy={form.busy}>{t('createAccount')}</Submit>
    </form>
  );
}

type Login = { customer_id: string };

export function SignIn(props: { onDone(): void; onNewDevice(customerId: string): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const r = await call<Login>('/v1/identity/login', {
        body: { identifier: v['identifier'], password: v['password'] },
      });
      const device = await loadDevice(r.customer_id);
      if (device?.deviceId) {
        try {
          await bindDevice(device);
          return props.onDone();
        } catch {
          // The key here is not (or no longer) a confirmed device: register it again.
        }
      }
      props.onNewDevice(r.customer_id);
    }, ['identifier', 'password']);
  };
  return (
    <form class="card" onSubmit={submit} noValidate>
      <h1>{t('signInTitle')}</h1>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <Field
        name="identifier"
        label={t('emailOrPhone')}
        autocomplete="username"
        required
        errors={form.errors}
      />
      <Field
        name="password"
        label={t('password')}
        type="password"
        required
        autocomplete="current-password"
        errors={form.errors}
      />
      <Submit busy={form.busy}>{t('signIn')}</Submit>
      <p class="muted">
        {t('noAccount')} <a href="#/signup">{t('signUp')}</a>
      </p>
    </form>
  );
}

/** A new browser for an existing account: register its key, confirm with the phone code. */
export function NewDevice(props: { customerId: string; onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [deviceId, setDeviceId] = useState<string | undefined>();
  const register = () =>
    form.run(async () => {
      const keys = await newDeviceKeys();
      const r = await call<{ device_id: string }>('/v1/identity/devices', {
        body: { name: deviceName(), public_key: await publicJwk(keys) },
      });
      await saveDevice({
        owner: props.customerId,
        deviceId: r.device_id,
        keys,
        createdAt: new Date().toISOString(),
      });
      setDeviceId(r.device_id);
    });
  const confirm = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      await call(`/v1/identity/devices/${deviceId}/confirm`, { body: { phone_code: v['code'] } });
      const device = await loadDevice(props.customerId);
      if (device) await bindDevice(device);
      props.onDone();
    }, ['code']);
  };
  if (!deviceId) {
    return (
      <div class="card">
        <h1>{t('newDeviceTitle')}</h1>
        <p>{t('newDeviceIntro')}</p>
        {form.general && <Notice kind="error">{form.general}</Notice>}
        <button class="primary" disabled={form.busy} onClick={() => void register()}>
          {t('registerDevice')}
        </button>
      </div>
    );
  }
  return (
    <form class="card" onSubmit={confirm} noValidate>
      <h1>{t('newDeviceTitle')}</h1>
      <p>{t('newDeviceCode')}</p>
      {form.general && <Notice kind="error">{form.general}</Notice>}
      <Field
        name="code"
        label={t('phoneCode')}
        inputMode="numeric"
        required
        autocomplete="one-time-code"
        errors={form.errors}
      />
      <Submit busy={form.busy}>{t('confirmDevice')}</Submit>
    </form>
  );
}
