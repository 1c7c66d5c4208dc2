import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { useT } from '../../ui/i18n.tsx';
import {
  CodeField,
  Field,
  FormCard,
  FormError,
  formValues,
  PasswordField,
  Submit,
  useForm,
} from '../../ui/form.tsx';
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
    <FormCard form={form} onSubmit={submit} head={<h1>{t('signUpTitle')}</h1>}>
      <Field name="email" label={t('email')} type="email" autocomplete="email" required />
      <Field
        name="phone"
        label={t('phone')}
        type="tel"
        autocomplete="tel"
        required
        hint={t('phoneHint')}
      />
      <PasswordField
        name="password"
        label={t('password')}
        required
        autocomplete="new-password"
        hint={t('passwordHint')}
      />
      <Submit>{t('sendCodes')}</Submit>
      <p class="muted">
        {t('haveAccount')} <a href="#/signin">{t('signIn')}</a>
      </p>
    </FormCard>
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
  const head = (
    <>
      <h1>{t('verifyTitle')}</h1>
      <p>{t('verifyIntro', { email: props.email })}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <CodeField name="email_code" label={t('emailCode')} required />
      <CodeField name="phone_code" label={t('phoneCode')} required />
      <Field
        name="device_name"
        label={t('deviceName')}
        value={deviceName()}
        hint={t('deviceNameHint')}
      />
      <Submit>{t('createAccount')}</Submit>
    </FormCard>
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
    <FormCard form={form} onSubmit={submit} head={<h1>{t('signInTitle')}</h1>}>
      <Field name="identifier" label={t('emailOrPhone')} autocomplete="username" required />
      <PasswordField name="password" label={t('password')} required />
      <Submit>{t('signIn')}</Submit>
      <p class="muted">
        {t('noAccount')} <a href="#/signup">{t('signUp')}</a>
      </p>
    </FormCard>
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
  const head = (
    <>
      <h1>{t('newDeviceTitle')}</h1>
      <p>{t(deviceId ? 'newDeviceCode' : 'newDeviceIntro')}</p>
    </>
  );
  if (!deviceId) {
    return (
      <div class="card">
        {head}
        <FormError form={form} />
        <button class="primary" disabled={form.busy} onClick={() => void register()}>
          {t('registerDevice')}
        </button>
      </div>
    );
  }
  return (
    <FormCard form={form} onSubmit={confirm} head={head}>
      <CodeField name="code" label={t('phoneCode')} required />
      <Submit>{t('confirmDevice')}</Submit>
    </FormCard>
  );
}
