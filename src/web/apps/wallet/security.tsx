import { useState } from 'preact/hooks';
import { ApiError, call } from '../../ui/api.ts';
import { dateTime, useT, yen } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { CodeField, Field, Form, FormError, formValues, Submit, useForm } from '../../ui/form.tsx';
import { Modal } from '../../ui/modal.tsx';
import { qrDataUrl } from '../../ui/codes.ts';
import { forgetDevice } from './device.ts';
import { enrolPasskey, passkeysSupported, stepUpWithPasskey } from './passkey.ts';
import { walletCall, type AccountSummary, type StepUpRequest } from './session.ts';
import { W } from './wallet-api.ts';
import { S } from './strings.ts';

// Security: second factors (passkey, authenticator app), recovery codes, devices (and their
// removal), signing out everywhere, deleting the account — and the step-up dialog the rest
// of the wallet opens when the API asks for a recent second factor.

export function RecoveryCodes(props: { codes: string[] }) {
  const { t } = useT(S);
  if (props.codes.length === 0) return null;
  return (
    <div class="card" aria-live="polite">
      <h2>{t('recoveryCodes')}</h2>
      <Notice kind="info">{t('recoveryCodesOnce')}</Notice>
      <ol class="codes" data-testid="recovery-codes">
        {props.codes.map((c) => (
          <li>{c}</li>
        ))}
      </ol>
    </div>
  );
}

export function Factors(props: { account: AccountSummary; onChanged(codes: string[]): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [totp, setTotp] = useState<{ secret: string; qr: string } | undefined>();
  const has = (f: 'passkey' | 'totp') => props.account.factors.includes(f);
  const addPasskey = () => form.run(async () => props.onChanged(await enrolPasskey()));
  const startTotp = () =>
    form.run(async () => {
      const r = await call<{ secret: string; otpauth_uri: string }>('/v1/identity/factors/totp', {
        body: {},
      });
      setTotp({ secret: r.secret, qr: await qrDataUrl(r.otpauth_uri) });
    });
  const confirmTotp = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const r = await call<{ recovery_codes: string[] }>('/v1/identity/factors/totp/confirm', {
        body: { code: v['code'] },
      });
      setTotp(undefined);
      props.onChanged(r.recovery_codes);
    }, ['code']);
  };
  return (
    <section class="card" aria-labelledby="factors-h">
      <h2 id="factors-h">{t('secondFactors')}</h2>
      <p class="muted">{t('factorsIntro')}</p>
      <FormError form={form} />
      <ul>
        <li>
          {t('passkey')}: {has('passkey') ? t('enrolled') : t('notEnrolled')}
        </li>
        <li>
          {t('authenticatorApp')}: {has('totp') ? t('enrolled') : t('notEnrolled')}
        </li>
      </ul>
      <div class="actions">
        {passkeysSupported() && (
          <button class="primary" disabled={form.busy} onClick={() => void addPasskey()}>
            {t('addPasskey')}
          </button>
        )}
        {!has('totp') && !totp && (
          <button disabled={form.busy} onClick={() => void startTotp()}>
            {t('addTotp')}
          </button>
        )}
      </div>
      {totp && (
        <Form form={form} onSubmit={confirmTotp}>
          <p>{t('totpScan')}</p>
          <img class="qr" src={totp.qr} alt={t('totpQrAlt')} width={192} height={192} />
          <p class="mono secret">{totp.secret}</p>
          <CodeField name="code" label={t('totpCode')} required />
          <Submit>{t('confirm')}</Submit>
        </Form>
      )}
    </section>
  );
}

interface Device {
  id: string;
  name: string;
  status: string;
  created_at: string;
  current: boolean;
}

/** One device, with a Remove button that asks once more before it removes. */
function DeviceItem(props: { device: Device; onRemoved(current: boolean): void }) {
  const { t, lang } = useT(S);
  const d = props.device;
  const form = useForm();
  const [confirming, setConfirming] = useState(false);
  const remove = () =>
    form.run(async () => {
      await walletCall(`/v1/identity/devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
      setConfirming(false);
      props.onRemoved(d.current);
    });
  return (
    <li data-testid="device">
      <strong>{d.name}</strong> — {d.status === 'confirmed' ? t('confirmed') : t('pending')}
      {d.current && <span class="pill ok"> {t('thisDevice')}</span>}
      <span class="muted"> · {dateTime(d.created_at, lang)}</span>{' '}
      {!confirming && (
        <button class="link" disabled={form.busy} onClick={() => setConfirming(true)}>
          {t('remove')}
        </button>
      )}
      {confirming && (
        <span class="actions" role="group" aria-label={t('remove')}>
          <span>{d.current ? t('removeThisDeviceConfirm') : t('removeDeviceConfirm')}</span>{' '}
          <button class="danger" disabled={form.busy} onClick={() => void remove()}>
            {t('removeDeviceYes')}
          </button>{' '}
          <button class="link" disabled={form.busy} onClick={() => setConfirming(false)}>
            {t('cancel')}
          </button>
        </span>
      )}
      <FormError form={form} />
    </li>
  );
}

function Devices(props: { onSignedOut(): void }) {
  const { t } = useT(S);
  const list = useLoad(() => call<{ devices: Device[] }>('/v1/identity/devices'));
  const removed = (current: boolean) => {
    // Removing this device ended this session: there is nothing left to show here.
    if (current) props.onSignedOut();
    else list.reload();
  };
  return (
    <section class="card" aria-labelledby="devices-h">
      <h2 id="devices-h">{t('devices')}</h2>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <ul>
        {list.data?.devices.map((d) => (
          <DeviceItem key={d.id} device={d} onRemoved={removed} />
        ))}
      </ul>
      <p class="muted">{t('removeDeviceNote')}</p>
    </section>
  );
}

/** Deleting the account: the customer types a word to confirm; then they are signed out. */
function DeleteAccount(props: { account: AccountSummary; onDeleted(): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [typed, setTyped] = useState('');
  const word = t('deleteAccountWord');
  const submit = (e: Event) => {
    e.preventDefault();
    void form.run(async () => {
      await walletCall(W.accountDelete, {
        body: {},
        action: 'account_delete',
        account: props.account,
      }).catch((err: unknown) => {
        // Say how much is left, so the customer knows what to spend first.
        if (!(err instanceof ApiError) || err.code !== 'wallet_balance_not_zero') throw err;
        const balance = yen(String(err.body['balance'] ?? '0'), lang);
        const message = t('deleteAccountBalance', { balance });
        throw new ApiError(err.status, { ...err.body, message });
      });
      await forgetDevice(props.account.customer_id);
      props.onDeleted();
    });
  };
  return (
    <section class="card" aria-labelledby="delete-h">
      <h2 id="delete-h">{t('deleteAccount')}</h2>
      <p class="muted">{t('deleteAccountNote')}</p>
      <Form form={form} onSubmit={submit}>
        <Field
          name="confirm_word"
          label={t('deleteAccountType', { word })}
          autocomplete="off"
          value={typed}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <FormError form={form} />
        <button type="submit" class="danger" disabled={form.busy || typed.trim() !== word}>
          {t('deleteAccount')}
        </button>
      </Form>
    </section>
  );
}

export function SecurityPage(props: {
  account: AccountSummary;
  onChanged(): void;
  onSignedOut(): void;
  onDeleted(): void;
}) {
  const { t } = useT(S);
  const [codes, setCodes] = useState<string[]>([]);
  const form = useForm();
  const changed = (next: string[]) => {
    setCodes(next);
    props.onChanged();
  };
  const regenerate = () =>
    form.run(async () => {
      const r = await call<{ recovery_codes: string[] }>('/v1/identity/factors/recovery-codes', {
        body: {},
      });
      setCodes(r.recovery_codes);
    });
  const everywhere = () =>
    form.run(async () => {
      // A sensitive action: the wallet steps up first when the server asks for it.
      await walletCall('/v1/identity/logout-everywhere', { body: {} });
      await forgetDevice('pending');
      props.onSignedOut();
    });
  return (
    <>
      <h1>{t('security')}</h1>
      <Factors account={props.account} onChanged={changed} />
      <RecoveryCodes codes={codes} />
      <section class="card">
        <h2>{t('recoveryCodes')}</h2>
        <p>{t('recoveryLeft', { n: String(props.account.recovery_codes_left) })}</p>
        <FormError form={form} />
        <button disabled={form.busy} onClick={() => void regenerate()}>
          {t('newRecoveryCodes')}
        </button>
      </section>
      <Devices onSignedOut={props.onSignedOut} />
      <section class="card">
        <h2>{t('signOutEverywhere')}</h2>
        <p class="muted">{t('signOutEverywhereNote')}</p>
        <button class="danger" disabled={form.busy} onClick={() => void everywhere()}>
          {t('signOutEverywhere')}
        </button>
      </section>
      <DeleteAccount account={props.account} onDeleted={props.onDeleted} />
    </>
  );
}

/** The dialog the wallet shows when an action needs a recent second factor. */
export function StepUpDialog(props: { request: StepUpRequest; onDone(): void; onCancel(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const factors = props.request.factors ?? ['passkey', 'totp'];
  const passkey = () =>
    form.run(async () => {
      await stepUpWithPasskey();
      props.onDone();
    });
  const totp = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      await call('/v1/identity/step-up', { body: { totp_code: v['totp_code'] } });
      props.onDone();
    }, ['totp_code']);
  };
  return (
    <Modal labelledBy="stepup-h" class="stepup" onCancel={props.onCancel}>
      <h2 id="stepup-h">{t('stepUpTitle')}</h2>
      <p>{t('stepUpIntro')}</p>
      {props.request.max_age_seconds && (
        <p class="muted">
          {t('stepUpWindow', {
            minutes: String(Math.max(1, Math.round(props.request.max_age_seconds / 60))),
          })}
        </p>
      )}
      <FormError form={form} />
      {factors.includes('passkey') && (
        <button class="primary wide" disabled={form.busy} onClick={() => void passkey()}>
          {t('usePasskey')}
        </button>
      )}
      {factors.includes('totp') && (
        <Form form={form} onSubmit={totp}>
          <CodeField name="totp_code" label={t('totpCode')} />
          <Submit kind="secondary">{t('confirm')}</Submit>
        </Form>
      )}
      <div class="actions">
        <button class="link" onClick={props.onCancel}>
          {t('cancel')}
        </button>
      </div>
    </Modal>
  );
}
