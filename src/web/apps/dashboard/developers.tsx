import { useState } from 'preact/hooks';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Select, Submit, useForm } from '../../ui/form.tsx';
import { mcall, type List } from './merchant.ts';
import { S } from './strings.ts';

// API keys (create, reveal once, roll, revoke) and webhook endpoints (create with the
// signing secret shown once, delivery log, resend).

/** The merchant API's scopes a restricted key can be given. */
const SCOPES = [
  'payments:read',
  'payments:write',
  'refunds:write',
  'webhooks:read',
  'webhooks:write',
  'merchants:read',
  'merchants:write',
] as const;

interface ApiKey {
  id: string;
  kind: string;
  mode: string;
  name: string | null;
  display_prefix: string;
  publishable_key: string | null;
  status: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** A secret shown once, with nothing else to do but copy it. */
export function RevealOnce(props: { label: string; value: string }) {
  const { t } = useT(S);
  return (
    <div class="notice info" role="status">
      <p>
        <strong>{props.label}</strong> — {t('revealOnce')}
      </p>
      <p class="secret mono" data-testid="revealed-secret">
        {props.value}
      </p>
    </div>
  );
}

function KeyRow(props: { k: ApiKey; onSecret(s: string): void; onChanged(): void }) {
  const { t, lang } = useT(S);
  const { k } = props;
  const form = useForm();
  const roll = () =>
    form.run(async () => {
      const r = await mcall<{ secret: string | null }>(`/v1/api_keys/${k.id}/roll`, {
        body: { overlap_seconds: 3600 },
      });
      if (r.secret) props.onSecret(r.secret);
      props.onChanged();
    });
  const revoke = () => {
    if (!confirm(t('revokeConfirm'))) return;
    void form.run(async () => {
      await mcall(`/v1/api_keys/${k.id}/revoke`, { body: {} });
      props.onChanged();
    });
  };
  const live = k.status === 'active';
  return (
    <tr>
      <td>{k.name ?? '—'}</td>
      <td>{k.kind}</td>
      <td class="mono">{k.publishable_key ?? `${k.display_prefix}…`}</td>
      <td>{k.status}</td>
      <td>{dateTime(k.last_used_at, lang)}</td>
      <td>{dateTime(k.expires_at, lang)}</td>
      <td>
        {live && (
          <span class="actions">
            <button disabled={form.busy} onClick={() => void roll()}>
              {t('roll')}
            </button>
            <button class="danger" disabled={form.busy} onClick={revoke}>
              {t('revoke')}
            </button>
          </span>
        )}
        {form.general && <p class="field-error">{form.general}</p>}
      </td>
    </tr>
  );
}

function CreateKey(props: { onCreated(secret: string | undefined): void }) {
  const { t } = useT(S);
  const form = useForm();
  const create = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const body: Record<string, unknown> = { kind: v['kind'] };
      if (v['name']) body['name'] = v['name'];
      if (v['kind'] === 'restricted') body['scopes'] = SCOPES.filter((sc) => v[`scope:${sc}`]);
      const r = await mcall<{ secret: string | null }>('/v1/api_keys', { body });
      props.onCreated(r.secret ?? undefined);
    }, ['kind', 'name', 'scopes']);
  };
  return (
    <FormCard form={form} onSubmit={create} head={<h2>{t('createKey')}</h2>}>
      <div class="row">
        <Select
          name="kind"
          label={t('kind')}
          options={[
            ['restricted', 'restricted'],
            ['secret', 'secret'],
            ['publishable', 'publishable'],
          ]}
        />
        <Field name="name" label={t('name')} />
      </div>
      <fieldset class="scopes">
        <legend>{t('scopes')}</legend>
        {SCOPES.map((sc) => (
          <label class="choice">
            <input type="checkbox" name={`scope:${sc}`} defaultChecked={sc.endsWith(':read')} />
            <span class="mono">{sc}</span>
          </label>
        ))}
        {form.errors['scopes'] && <p class="field-error">{form.errors['scopes']}</p>}
      </fieldset>
      <Submit>{t('createKey')}</Submit>
    </FormCard>
  );
}

export function KeysPage() {
  const { t } = useT(S);
  const list = useLoad(() => mcall<List<ApiKey>>('/v1/api_keys'));
  const [secret, setSecret] = useState<string | undefined>();
  return (
    <>
      <h1>{t('keysTitle')}</h1>
      {secret && <RevealOnce label={t('secretKey')} value={secret} />}
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('name')}</th>
              <th>{t('kind')}</th>
              <th>{t('prefix')}</th>
              <th>{t('status')}</th>
              <th>{t('lastUsed')}</th>
              <th>{t('expires')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((k) => (
              <KeyRow k={k} onSecret={setSecret} onChanged={list.reload} />
            ))}
          </tbody>
        </table>
      </div>
      <CreateKey
        onCreated={(s) => {
          setSecret(s);
          list.reload();
        }}
      />
    </>
  );
}

interface Endpoint {
  id: string;
  url: string;
  event_types: string[];
  status: string;
}

interface Delivery {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
  created_at: string;
}

function Deliveries(props: { endpoint: string }) {
  const { t, lang } = useT(S);
  const list = useLoad(
    () => mcall<List<Delivery>>(`/v1/webhook_endpoints/${props.endpoint}/deliveries?limit=100`),
    [props.endpoint],
  );
  const form = useForm();
  const [resent, setResent] = useState<string | undefined>();
  const resend = (id: string) =>
    form.run(async () => {
      await mcall(`/v1/webhook_deliveries/${id}/resend`, { body: {} });
      setResent(id);
      list.reload();
    });
  return (
    <section class="card">
      <h2>{t('deliveries')}</h2>
      {resent && <Notice kind="ok">{t('resent')}</Notice>}
      {(list.error ?? form.general) && <Notice kind="error">{list.error ?? form.general}</Notice>}
      {list.data?.data.length === 0 && <p class="muted">{t('none')}</p>}
      <div class="table-wrap">
        <table>
          <tbody>
            {list.data?.data.map((d) => (
              <tr>
                <td class="mono">{d.event_id}</td>
                <td>{d.status}</td>
                <td class="num">
                  {t('attempts')}: {d.attempts}
                </td>
                <td>{d.last_status ?? '—'}</td>
                <td>{dateTime(d.created_at, lang)}</td>
                <td>
                  <button disabled={form.busy} onClick={() => void resend(d.id)}>
                    {t('resend')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function WebhooksPage() {
  const { t } = useT(S);
  const list = useLoad(() => mcall<List<Endpoint>>('/v1/webhook_endpoints'));
  const [secret, setSecret] = useState<string | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const form = useForm();
  const create = (e: Event) => {
    const v = formValues(e);
    const types = (v['event_types'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    void form.run(async () => {
      const r = await mcall<{ secret: string }>('/v1/webhook_endpoints', {
        body: { url: v['url'], event_types: types },
      });
      setSecret(r.secret);
      list.reload();
    }, ['url', 'event_types']);
  };
  return (
    <>
      <h1>{t('webhooksTitle')}</h1>
      {secret && <RevealOnce label="Signing secret" value={secret} />}
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <ul>
        {list.data?.data.map((ep) => (
          <li>
            <span class="mono">{ep.url}</span> — {ep.event_types.join(', ')} ({ep.status}){' '}
            <button class="link" onClick={() => setOpen(ep.id)}>
              {t('deliveries')}
            </button>
          </li>
        ))}
      </ul>
      {open && <Deliveries endpoint={open} />}
      <FormCard form={form} onSubmit={create} head={<h2>{t('addEndpoint')}</h2>}>
        <Field name="url" label={t('url')} type="url" required />
        <Field name="event_types" label={t('events')} hint={t('eventsHint')} value="*" />
        <Submit>{t('addEndpoint')}</Submit>
      </FormCard>
    </>
  );
}
