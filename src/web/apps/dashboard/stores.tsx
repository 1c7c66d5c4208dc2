import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../ui/api.ts';
import { qrDataUrl } from '../../ui/codes.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, formValues, Select, Submit, useForm } from '../../ui/form.tsx';
import { RevealOnce } from './developers.tsx';
import { dataMode, mcall, type List } from './merchant.ts';
import { S } from './strings.ts';

// Stores and their terminals (registers), and each store's QR code as an image to print.

interface Store {
  id: string;
  name: string;
  mcc: string;
  city: string;
  postal_code: string;
  created_at: string;
}

interface Terminal {
  id: string;
  store_id: string;
  name: string;
  secret_prefix: string;
  status: string;
  last_used_at: string | null;
}

/** The store QR as an image URL: the API answers an image, or JSON with the payload. */
async function storeQr(storeId: string): Promise<string> {
  const res = await fetch(`/v1/stores/${encodeURIComponent(storeId)}/qr`, {
    headers: { 'kinko-mode': dataMode() },
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
    throw new ApiError(res.status, body.error ?? {});
  }
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('image/')) return URL.createObjectURL(await res.blob());
  const json = (await res.json()) as { payload?: string; qr_png?: string };
  if (json.qr_png?.startsWith('data:image/')) return json.qr_png;
  if (!json.payload) throw new ApiError(0, { code: 'store_qr_unreadable' });
  return qrDataUrl(json.payload, 4);
}

function StoreQr(props: { store: Store }) {
  const { t } = useT(S);
  const [url, setUrl] = useState<string | undefined>();
  const [missing, setMissing] = useState<'qrMissing' | 'qrLiveOnly' | undefined>();
  useEffect(() => {
    // Test data is refused the store QR (customers would pay it with real money); say so.
    const refused = (e: unknown) => e instanceof ApiError && e.code === 'livemode_required';
    storeQr(props.store.id).then(setUrl, (e: unknown) =>
      setMissing(refused(e) ? 'qrLiveOnly' : 'qrMissing'),
    );
  }, [props.store.id]);
  if (missing)
    return (
      <p class="muted" data-testid="store-qr-missing">
        {t(missing)}
      </p>
    );
  if (!url) return null;
  return (
    <div class="store-qr">
      <img src={url} alt={t('qrAlt', { store: props.store.name })} data-testid="store-qr" />
      <p>
        <strong>{props.store.name}</strong>
      </p>
      <button class="no-print" onClick={() => window.print()}>
        {t('print')}
      </button>
    </div>
  );
}

function AddStore(props: { onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      await mcall('/v1/stores', {
        body: { name: v['name'], mcc: v['mcc'], city: v['city'], postal_code: v['postal_code'] },
      });
      props.onDone();
    }, ['name', 'mcc', 'city', 'postal_code']);
  };
  return (
    <FormCard form={form} onSubmit={submit} head={<h2>{t('addStore')}</h2>}>
      <div class="row">
        <Field name="name" label={t('name')} required />
        <Field name="mcc" label={t('mcc')} inputMode="numeric" value="5411" />
        <Field name="city" label={t('city')} required />
        <Field name="postal_code" label={t('postal')} required />
      </div>
      <Submit>{t('addStore')}</Submit>
    </FormCard>
  );
}

function AddTerminal(props: { stores: Store[]; onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [secret, setSecret] = useState<string | undefined>();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      const r = await mcall<{ id: string; secret: string }>('/v1/terminals', {
        body: { store_id: v['store_id'], name: v['name'] },
      });
      setSecret(`${r.id} / ${r.secret}`);
      props.onDone();
    }, ['store_id', 'name']);
  };
  const head = (
    <>
      <h2>{t('addTerminal')}</h2>
      {secret && <RevealOnce label={t('terminalSecret')} value={secret} />}
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <div class="row">
        <Select
          name="store_id"
          label={t('store')}
          options={props.stores.map((s): [string, string] => [s.id, s.name])}
        />
        <Field name="name" label={t('terminalName')} required />
      </div>
      <Submit>{t('addTerminal')}</Submit>
    </FormCard>
  );
}

export function StoresPage() {
  const { t, lang } = useT(S);
  const stores = useLoad(() => mcall<List<Store>>('/v1/stores'));
  const terminals = useLoad(() => mcall<List<Terminal>>('/v1/terminals'));
  const [qr, setQr] = useState<Store | undefined>();
  return (
    <>
      <h1>{t('storesTitle')}</h1>
      {(stores.error ?? terminals.error) && (
        <Notice kind="error">{stores.error ?? terminals.error}</Notice>
      )}
      {qr && <StoreQr store={qr} />}
      {stores.data?.data.map((s) => (
        <section class="card no-print">
          <h2>{s.name}</h2>
          <p class="muted mono">
            {s.id} · MCC {s.mcc} · {s.city} {s.postal_code} · {dateTime(s.created_at, lang)}
          </p>
          <button onClick={() => setQr(s)}>{t('qr')}</button>
          <h3>{t('terminals')}</h3>
          <ul>
            {terminals.data?.data
              .filter((x) => x.store_id === s.id)
              .map((x) => (
                <li>
                  {x.name} <span class="mono muted">{x.id}</span> ({x.status}) —{' '}
                  {dateTime(x.last_used_at, lang)}
                </li>
              ))}
          </ul>
        </section>
      ))}
      <div class="no-print">
        <AddStore onDone={stores.reload} />
        {stores.data && stores.data.data.length > 0 && (
          <AddTerminal stores={stores.data.data} onDone={terminals.reload} />
        )}
      </div>
    </>
  );
}
