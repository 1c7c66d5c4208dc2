import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { FormError, useForm } from '../../ui/form.tsx';
import { S } from './strings.ts';

// Credential-stuffing detections: open ones wait for an operator to acknowledge them with a
// note (audited); acknowledged ones stay listed under "history".

const REALM_WORDS = {
  customer: 'realmCustomer',
  operator: 'realmOperator',
  merchant: 'realmMerchant',
} as const;

interface Detection {
  id: string;
  realm: 'customer' | 'operator' | 'merchant';
  source_prefix: string;
  detected_at: string;
  attempts_in_window: number;
  acknowledged_at: string | null;
  acknowledgement_note: string | null;
}

export function StuffingDetections() {
  const { t, lang } = useT(S);
  const [status, setStatus] = useState<'open' | 'all'>('open');
  const form = useForm();
  const list = useLoad(
    () => call<{ detections: Detection[] }>(`/v1/operator/stuffing-detections?status=${status}`),
    [status],
  );
  const acknowledge = (id: string, note: string) =>
    form.run(async () => {
      await call(`/v1/operator/stuffing-detections/${id}/acknowledge`, { body: { note } });
      list.reload();
    });
  const rows = list.data?.detections ?? [];
  return (
    <section>
      <h2>{t('detections')}</h2>
      <div class="actions" role="group" aria-label={t('detections')}>
        <button aria-pressed={status === 'open'} onClick={() => setStatus('open')}>
          {t('openDetections')}
        </button>
        <button aria-pressed={status === 'all'} onClick={() => setStatus('all')}>
          {t('history')}
        </button>
      </div>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      <FormError form={form} />
      {list.data && rows.length === 0 && status === 'open' && <p>{t('noneOpen')}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('realm')}</th>
                <th>{t('network')}</th>
                <th>{t('detected')}</th>
                <th class="num">{t('attempts')}</th>
                <th>{t('acknowledged')}</th>
                <th>{t('note')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <DetectionRow d={d} busy={form.busy} onAcknowledge={acknowledge} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function DetectionRow(props: {
  d: Detection;
  busy: boolean;
  onAcknowledge(id: string, note: string): void;
}) {
  const { t, lang } = useT(S);
  const [note, setNote] = useState('');
  const d = props.d;
  return (
    <tr>
      <td>{t(REALM_WORDS[d.realm])}</td>
      <td class="mono">{d.source_prefix}</td>
      <td>{dateTime(d.detected_at, lang)}</td>
      <td class="num">{d.attempts_in_window}</td>
      <td>{dateTime(d.acknowledged_at, lang)}</td>
      <td>
        {d.acknowledged_at ? (
          d.acknowledgement_note
        ) : (
          <>
            <input
              aria-label={`${t('note')} ${d.source_prefix}`}
              maxLength={500}
              value={note}
              onInput={(e) => setNote((e.target as HTMLInputElement).value)}
            />
            <button
              disabled={props.busy || !note.trim()}
              onClick={() => props.onAcknowledge(d.id, note)}
            >
              {t('acknowledge')}
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
