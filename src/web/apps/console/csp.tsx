import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { S } from './strings.ts';

// CSP reports as the security team reads them: what browsers blocked, grouped by page,
// directive and blocked origin, payment pages first, each with its counts over the period as
// a row of block characters (the console's own CSP allows no inline styles, and text reads
// the same to a screen reader through its label). Only masked pages and origins reach here.

interface Group {
  page: string;
  directive: string;
  origin: string;
  payment_page: boolean;
  total: number;
  counts: Array<{ at: string; count: number }>;
}

const PERIODS = [
  { hours: 24, bucket: 3600, label: 'csp24h' },
  { hours: 24 * 7, bucket: 6 * 3600, label: 'csp7d' },
] as const;

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * Counts as one character per time bucket over the whole period, scaled to the group's own
 * peak; a bucket without reports is a dot, so a quiet hour never looks like a small one.
 */
function spark(counts: Group['counts'], period: { hours: number; bucket: number }): string {
  const ms = period.bucket * 1000;
  const byBucket = new Map(counts.map((c) => [Math.floor(Date.parse(c.at) / ms), c.count]));
  const last = Math.floor(Date.now() / ms);
  const first = last - Math.ceil((period.hours * 3600) / period.bucket) + 1;
  const peak = Math.max(1, ...byBucket.values());
  let out = '';
  for (let b = first; b <= last; b++) {
    const n = byBucket.get(b) ?? 0;
    out += n === 0 ? '·' : BLOCKS[Math.ceil((n / peak) * BLOCKS.length) - 1];
  }
  return out;
}

const byConcern = (a: Group, b: Group) =>
  Number(b.payment_page) - Number(a.payment_page) || b.total - a.total;

export function CspReports() {
  const { t, lang } = useT(S);
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>(PERIODS[0]);
  const list = useLoad(
    () =>
      call<{ data: Group[] }>(
        `/v1/console/csp_reports?hours=${period.hours}&bucket_seconds=${period.bucket}`,
      ),
    [period],
  );
  const rows = [...(list.data?.data ?? [])].sort(byConcern);
  return (
    <section>
      <h2>{t('cspTitle')}</h2>
      <p class="muted">{t('cspNote')}</p>
      <div class="actions" role="group" aria-label={t('cspPeriod')}>
        {PERIODS.map((p) => (
          <button aria-pressed={period === p} onClick={() => setPeriod(p)}>
            {t(p.label)}
          </button>
        ))}
      </div>
      {list.error && <Notice kind="error">{list.error}</Notice>}
      {list.data && rows.length === 0 && <p>{t('cspNone')}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('cspPage')}</th>
                <th>{t('cspDirective')}</th>
                <th>{t('cspOrigin')}</th>
                <th class="num">{t('cspTotal')}</th>
                <th>{t('cspOverTime')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => (
                <tr data-csp-group={`${g.page} ${g.directive} ${g.origin}`}>
                  <td>
                    <code>{g.page}</code>{' '}
                    {g.payment_page && <span class="pill bad">{t('cspPaymentPage')}</span>}
                  </td>
                  <td>
                    <code>{g.directive}</code>
                  </td>
                  <td>
                    <code>{g.origin}</code>
                  </td>
                  <td class="num">{g.total}</td>
                  <td
                    class="spark"
                    aria-label={g.counts
                      .map((c) => `${dateTime(c.at, lang)}: ${c.count}`)
                      .join(', ')}
                  >
                    {spark(g.counts, period)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
