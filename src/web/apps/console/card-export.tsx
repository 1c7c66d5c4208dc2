import { useState } from 'preact/hooks';
import { ApiError, call, type ApiErrorBody } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, FormError, formValues, Submit, useForm } from '../../ui/form.tsx';
import { S } from './strings.ts';

// The incident page's card export for card companies (docs/card-export.md), for security
// admins: one requests an export of the latest scope run's cards, encrypted to the card
// company's age key; a different one approves it, which produces the file; either downloads
// it, a limited number of times. The screen never holds a card number: the list names cards
// by count, and the file is ciphertext that goes from the response straight to a download.

const base = (id: string) => `/v1/operator/incidents/${encodeURIComponent(id)}/card-exports`;
const STATES = ['requested', 'approved', 'used_up', 'expired'] as const;
/** Characters of an age recipient shown at each end; the whole key is in the title. */
const RECIPIENT_ENDS_CHARS = 12;

interface CardExport {
  id: string;
  recipient: string;
  reason: string;
  state: (typeof STATES)[number];
  cards_requested: number;
  cards_exported: number | null;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  downloads: number;
  downloads_max: number;
  expires_at: string;
  sha256: string | null;
  download_url: string;
}

const short = (recipient: string) =>
  recipient.length <= RECIPIENT_ENDS_CHARS * 2 + 1
    ? recipient
    : `${recipient.slice(0, RECIPIENT_ENDS_CHARS)}…${recipient.slice(-RECIPIENT_ENDS_CHARS)}`;

/** Fetches the file and hands it to the browser as a download; the body stays ciphertext. */
async function download(e: CardExport): Promise<void> {
  const res = await fetch(e.download_url, { credentials: 'same-origin' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: ApiErrorBody };
    throw new ApiError(res.status, body.error ?? {});
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `kinko-cards-${e.id}.csv.age`;
  a.click();
  // The click has handed the blob to the download; the page keeps no copy of it.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function CardExportSection(props: {
  id: string;
  operatorId: string;
  /** Operators' names by id (the timeline's); an operator not named there shows by id. */
  names: ReadonlyMap<string, string>;
  onChange(): void;
}) {
  const { t } = useT(S);
  const form = useForm();
  const list = useLoad(() => call<{ data: CardExport[] }>(base(props.id)), [props.id]);
  const changed = () => {
    list.reload();
    props.onChange();
  };
  const request = (e: Event) => {
    const v = formValues(e);
    const body = { recipient: (v['recipient'] ?? '').trim(), reason: v['reason'] ?? '' };
    void form.run(async () => {
      await call(base(props.id), { body });
      (e.target as HTMLFormElement).reset();
      changed();
    }, ['recipient', 'reason']);
  };
  const exports = list.data?.data ?? [];
  return (
    <section class="card-exports" aria-labelledby="cexp-h">
      <h2 id="cexp-h">{t('cardExportTitle')}</h2>
      <p class="muted">{t('cardExportNote')}</p>
      <FormCard form={form} onSubmit={request}>
        <Field
          name="recipient"
          label={t('cardExportRecipient')}
          hint={t('cardExportRecipientHint')}
          placeholder="age1…"
          required
          pattern="age1[0-9a-z]+"
          autocomplete="off"
        />
        <Field name="reason" label={t('reason')} required maxLength={500} />
        <Submit busy={form.busy}>{t('cardExportRequest')}</Submit>
      </FormCard>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && exports.length === 0 && <p>{t('cardExportNone')}</p>}
      <ul class="card-export-list">
        {exports.map((x) => (
          <ExportItem x={x} me={props.operatorId} names={props.names} onChange={changed} />
        ))}
      </ul>
    </section>
  );
}

function ExportItem(props: {
  x: CardExport;
  me: string;
  names: ReadonlyMap<string, string>;
  onChange(): void;
}) {
  const { t, lang } = useT(S);
  const form = useForm();
  const [fetched, setFetched] = useState(false);
  const { x } = props;
  const who = (id: string) => {
    const name = props.names.get(id) ?? id;
    return id === props.me ? t('cardExportYou', { name }) : name;
  };
  const approve = () =>
    void form.run(async () => {
      await call(approveUrl(x), { body: {} });
      props.onChange();
    }, []);
  const get = () =>
    void form.run(async () => {
      await download(x);
      setFetched(true);
      props.onChange();
    }, []);
  return (
    <li class="card" data-export={x.id} data-state={x.state}>
      <p>
        <strong>{t(`cexp_${x.state}`)}</strong> <span class="mono">{x.id}</span>
      </p>
      <dl class="kv">
        <dt>{t('cards')}</dt>
        <dd data-cards>{x.cards_exported ?? x.cards_requested}</dd>
        <dt>{t('cardExportRecipient')}</dt>
        <dd class="mono" title={x.recipient}>
          {short(x.recipient)}
        </dd>
        <dt>{t('reason')}</dt>
        <dd>{x.reason}</dd>
        <dt>{t('cardExportRequestedBy')}</dt>
        <dd>{`${who(x.requested_by)} · ${dateTime(x.requested_at, lang)}`}</dd>
        {x.approved_by && x.approved_at && (
          <>
            <dt>{t('cardExportApprovedBy')}</dt>
            <dd>{`${who(x.approved_by)} · ${dateTime(x.approved_at, lang)}`}</dd>
          </>
        )}
        <dt>{t('cardExportDownloads')}</dt>
        <dd data-downloads>{`${x.downloads} / ${x.downloads_max}`}</dd>
        <dt>{t('cardExportExpires')}</dt>
        <dd>{dateTime(x.expires_at, lang)}</dd>
        {x.sha256 && (
          <>
            <dt>SHA-256</dt>
            <dd class="mono digest">{x.sha256}</dd>
          </>
        )}
      </dl>
      <FormError form={form} />
      <ExportActions
        x={x}
        mine={x.requested_by === props.me}
        busy={form.busy}
        approve={approve}
        get={get}
      />
      {fetched && <Notice kind="ok">{t('cardExportFetched')}</Notice>}
    </li>
  );
}

const approveUrl = (x: CardExport) => x.download_url.replace(/\/file$/, '/approve');

function ExportActions(props: {
  x: CardExport;
  mine: boolean;
  busy: boolean;
  approve(): void;
  get(): void;
}) {
  const { t } = useT(S);
  if (props.x.state === 'requested') {
    // The server refuses the requester's own approval too; the button is simply not offered.
    if (props.mine) return <p class="muted">{t('cardExportWaiting')}</p>;
    return (
      <p class="actions">
        <button class="primary" disabled={props.busy} onClick={props.approve}>
          {t('cardExportApprove')}
        </button>
      </p>
    );
  }
  if (props.x.state !== 'approved') return null;
  const left = props.x.downloads_max - props.x.downloads;
  return (
    <p class="actions">
      <button disabled={props.busy} onClick={props.get}>
        {t('cardExportDownload', { n: String(left) })}
      </button>
    </p>
  );
}
