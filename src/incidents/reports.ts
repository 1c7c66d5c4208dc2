import type { EventRow, IncidentRow, ScopeCardRow, ScopeRow } from './store.ts';

// Reports built from an incident: the breach report to Japan's Personal Information
// Protection Commission under the APPI (preliminary: promptly, in practice within 3–5 days of
// knowing; final: within 30 days, 60 when the breach was a deliberate attack), the card-brand
// and acquirer report, and a public notice draft. Each item is filled from the incident and
// its latest scope run; the operator's own words for an item (a `report.edited` timeline
// event) replace the filled text. Output is JSON, or a printable HTML page.

export const REPORT_KINDS = [
  'ppc_preliminary',
  'ppc_final',
  'card_brand',
  'public_notice',
] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** The APPI report's items, in the order of the Commission's form. */
const PPC_ITEMS = [
  ['summary', '概要', 'Summary'],
  [
    'data_items',
    '漏えい等が発生し、又は発生したおそれがある個人データの項目',
    'Personal data items',
  ],
  [
    'people',
    '漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数',
    'Number of people',
  ],
  ['cause', '発生原因', 'Cause'],
  ['secondary_damage', '二次被害又はそのおそれの有無及びその内容', 'Secondary damage or its risk'],
  ['response_to_people', '本人への対応の実施状況', 'Response to the people affected'],
  ['announcement', '公表の実施状況', 'Public announcement'],
  ['recurrence', '再発防止のための措置', 'Measures against recurrence'],
  ['other', 'その他参考となる事項', 'Other'],
] as const;
type PpcItem = (typeof PPC_ITEMS)[number][0];

const DAY_MS = 86_400_000;
/** Detectors of deliberate attacks: their final report is due in 60 days, not 30. */
const ATTACK_DETECTORS = new Set(['identity.stuffing', 'risk.spike', 'vault.pan_scan']);

export interface ReportInput {
  incident: IncidentRow;
  timeline: EventRow[];
  scope: ScopeRow | null;
  cards: ScopeCardRow[];
  now: Date;
}

/** The operator's latest text for each item of a report, from the timeline. */
function edits(timeline: EventRow[], kind: ReportKind): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of timeline) {
    const d = e.detail as { ref?: { id?: string }; detail?: { field?: string; text?: string } };
    if (e.kind === 'report.edited' && d.ref?.id === kind && d.detail?.field && d.detail.text) {
      out.set(d.detail.field, d.detail.text);
    }
  }
  return out;
}

function n(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : '0';
}

function filled(r: ReportInput): Record<PpcItem, string> {
  const t = r.scope?.totals;
  const cardsLine =
    r.cards.length > 0
      ? `; card brand, BIN and last four digits of ${r.cards.length} card(s) used`
      : '';
  return {
    summary: `${r.incident.title}. ${r.incident.summary}`,
    data_items: t
      ? `Account identifiers, sign-in history (time, network, device), top-up and payment ` +
        `history${cardsLine}. No full card number or security code is held by Kinko outside ` +
        `its vault.`
      : 'To be determined by the scope of the incident.',
    people: t ? `${n(t.customers)} (scope run ${r.scope!.run})` : 'Not yet scoped.',
    cause: r.incident.detector
      ? `Detected by ${r.incident.detector}: ${r.incident.summary}`
      : 'Under investigation.',
    secondary_damage: t
      ? `Unauthorised top-ups of ¥${n(t.topup_minor)} and payments of ¥${n(t.payment_minor)} ` +
        `(web-shop card payments ¥${n(t.web_payment_minor)}) in the scope.`
      : 'Under investigation.',
    response_to_people: 'Notices to the people affected and compensation: see the timeline.',
    announcement: 'Not yet announced.',
    recurrence: 'To be decided after the investigation.',
    other: '',
  };
}

function timelineLines(timeline: EventRow[]) {
  return timeline.map((e) => ({
    at: e.at.toISOString(),
    kind: e.kind,
    what:
      (e.detail as { summary?: string }).summary ??
      (e.kind === 'status_changed' ? `${n(e.detail['from'])} → ${n(e.detail['to'])}` : e.kind),
  }));
}

/** The APPI report, preliminary or final, as JSON. */
export function ppcReport(r: ReportInput, kind: 'ppc_preliminary' | 'ppc_final') {
  const known = r.incident.opened_at.getTime();
  const deliberate = ATTACK_DETECTORS.has(r.incident.detector ?? '');
  const dueDays = kind === 'ppc_preliminary' ? 5 : deliberate ? 60 : 30;
  const text = edits(r.timeline, kind);
  const base = filled(r);
  return {
    kind,
    incident_id: r.incident.id,
    addressee: 'Personal Information Protection Commission (個人情報保護委員会)',
    known_at: r.incident.opened_at.toISOString(),
    due_at: new Date(known + dueDays * DAY_MS).toISOString(),
    deliberate_attack: deliberate,
    generated_at: r.now.toISOString(),
    items: PPC_ITEMS.map(([key, ja, en]) => ({
      key,
      label_ja: ja,
      label_en: en,
      text: text.get(key) ?? base[key],
      edited: text.has(key),
    })),
    timeline: timelineLines(r.timeline),
  };
}

/**
 * The encrypted card exports of the incident (vault/export.ts), from its timeline: the full
 * numbers the card companies act on are in those files, never in this report.
 */
function cardExports(r: ReportInput) {
  const out = new Map<string, { id: string; requested_at: string; approved: boolean }>();
  for (const e of r.timeline) {
    const d = e.detail as { ref?: { type?: string; id?: string } };
    if (d.ref?.type !== 'card_export' || !d.ref.id) continue;
    const x = out.get(d.ref.id) ?? {
      id: d.ref.id,
      requested_at: e.at.toISOString(),
      approved: false,
    };
    if (e.kind === 'card_export.approved') x.approved = true;
    out.set(d.ref.id, x);
  }
  return [...out.values()].map((x) => ({
    ...x,
    url: `/v1/operator/incidents/${r.incident.id}/card-exports/${x.id}/file`,
  }));
}

/** What card brands and the acquirer act on: counts by brand, the window, the cards. */
export function cardBrandReport(r: ReportInput) {
  const byBrand = new Map<string, { cards: number; yen: bigint }>();
  for (const c of r.cards) {
    const b = byBrand.get(c.card_brand) ?? { cards: 0, yen: 0n };
    b.cards += 1;
    b.yen += c.amount_minor;
    byBrand.set(c.card_brand, b);
  }
  const ind = r.scope?.indicators ?? {};
  return {
    kind: 'card_brand' as const,
    incident_id: r.incident.id,
    generated_at: r.now.toISOString(),
    window: { from: ind['from'] ?? null, to: ind['to'] ?? null },
    scope_run: r.scope?.run ?? null,
    brands: [...byBrand].map(([brand, b]) => ({ brand, cards: b.cards, yen: b.yen.toString() })),
    cards: r.cards.map((c) => ({
      brand: c.card_brand,
      bin: c.card_bin,
      last4: c.card_last4,
      fingerprint: c.card_fingerprint,
      first_used_at: c.first_at.toISOString(),
      last_used_at: c.last_at.toISOString(),
    })),
    card_exports: cardExports(r),
  };
}

/** A notice for the public, in Japanese and English, for the operator to edit. */
export function publicNotice(r: ReportInput) {
  const text = edits(r.timeline, 'public_notice');
  const people = n(r.scope?.totals.customers);
  return {
    kind: 'public_notice' as const,
    incident_id: r.incident.id,
    generated_at: r.now.toISOString(),
    ja:
      text.get('ja') ??
      `不正利用に関するお詫びとお知らせ\n\nKinkoでは、${r.incident.opened_at.toISOString().slice(0, 10)}` +
        `に一部のお客様のアカウントで不正な利用を検知しました。影響を受けた可能性のあるお客様` +
        `（${people}名）には個別にご連絡し、被害額は全額補償いたします。ご心配をおかけし、` +
        `深くお詫び申し上げます。`,
    en:
      text.get('en') ??
      `Notice of unauthorised use\n\nOn ${r.incident.opened_at.toISOString().slice(0, 10)} Kinko ` +
        `detected unauthorised use of some customers' accounts. We are contacting each of the ` +
        `${people} customers who may be affected, and every loss will be compensated in full. ` +
        `We sincerely apologise.`,
  };
}
