import { useState } from 'preact/hooks';
import { ApiError } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import {
  CodeField,
  Field,
  Form,
  FormCard,
  FormError,
  formValues,
  Submit,
  useForm,
} from '../../ui/form.tsx';
import { createPasskey, passkeysSupported } from '../../ui/passkey.ts';
import { mcall, type List } from './merchant.ts';
import { S } from './strings.ts';

// Security, for everyone signed in whatever their role: their own passkeys, each a second
// factor in place of the authenticator code at sign-in. Adding and removing one asks for a
// current authenticator code as well as the session, so a stolen session cannot plant its
// own passkey or take away the owner's.

interface Passkey {
  credential_id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

type Json = Record<string, unknown>;

function AddPasskey(props: { onAdded(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    const target = e.currentTarget as HTMLFormElement;
    void form.run(async () => {
      const options = await mcall<Json>('/v1/dashboard/passkeys/options', { body: {} });
      let credential: unknown;
      try {
        credential = await createPasskey(options);
      } catch {
        const message = t('passkeyCreateFailed');
        throw new ApiError(0, { code: 'passkey_prompt_failed', message });
      }
      const body = { credential, totp_code: v['totp_code'], name: v['name'] };
      await mcall('/v1/dashboard/passkeys', { body });
      target.reset();
      props.onAdded();
    }, ['name', 'totp_code']);
  };
  const head = (
    <>
      <h2>{t('addPasskey')}</h2>
      <p class="muted">{t('addPasskeyNote')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head} testId="add-passkey">
      <Field name="name" label={t('passkeyName')} maxLength={64} required />
      <CodeField name="totp_code" label={t('totpCode')} required />
      <Submit>{t('addPasskeyGo')}</Submit>
    </FormCard>
  );
}

function PasskeyRow(props: { k: Passkey; onRemoved(): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [asking, setAsking] = useState(false);
  const { k } = props;
  const remove = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const path = `/v1/dashboard/passkeys/${encodeURIComponent(k.credential_id)}/remove`;
      await mcall(path, { body: { totp_code: v['remove_code'] } });
      props.onRemoved();
    }, ['remove_code']);
  };
  return (
    <tr data-testid="passkey">
      <td>{k.name}</td>
      <td>{dateTime(k.created_at, lang)}</td>
      <td>{k.last_used_at ? dateTime(k.last_used_at, lang) : t('neverUsed')}</td>
      <td>
        {asking ? (
          <Form form={form} onSubmit={remove} testId="remove-passkey">
            <CodeField name="remove_code" label={t('totpCode')} required />
            <FormError form={form} />
            <Submit kind="danger">{t('remove')}</Submit>
          </Form>
        ) : (
          <button class="link" onClick={() => setAsking(true)}>
            {t('remove')}
          </button>
        )}
      </td>
    </tr>
  );
}

export function SecurityPage() {
  const { t } = useT(S);
  const keys = useLoad(() => mcall<List<Passkey>>('/v1/dashboard/passkeys'));
  return (
    <>
      <h1>{t('security')}</h1>
      <p class="muted">{t('securityNote')}</p>
      {keys.error && <Notice kind="error">{keys.error}</Notice>}
      <h2>{t('yourPasskeys')}</h2>
      {keys.data?.data.length === 0 ? (
        <p class="muted">{t('noPasskeys')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('passkeyName')}</th>
                <th>{t('added')}</th>
                <th>{t('lastUsed')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data?.data.map((k) => (
                <PasskeyRow k={k} onRemoved={keys.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {passkeysSupported() ? (
        <AddPasskey onAdded={keys.reload} />
      ) : (
        <Notice kind="info">{t('passkeysUnsupported')}</Notice>
      )}
    </>
  );
}
