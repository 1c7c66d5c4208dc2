import type { Db } from '../db/index.ts';
import * as store from './store.ts';
import { incidentsError } from './errors.ts';

// A saved scope run as people and card companies take it: JSON with every part, or one CSV
// per part. Cards are named by brand, BIN, last four and keyed fingerprint, never a number.

/** The most rows one part of an export holds; a run larger than this is paged by the API. */
const EXPORT_ROWS_MAX = 1_000_000;
/** The rows read from the database per statement while an export is built. */
const EXPORT_PAGE_ROWS = 10_000;

export const SCOPE_PARTS = ['customers', 'cards', 'merchants', 'topups', 'payments'] as const;
type ScopePart = (typeof SCOPE_PARTS)[number];

type Row = Record<string, string | number | boolean | null>;

function scopeJson(s: store.ScopeRow) {
  return {
    id: s.id,
    incident_id: s.incident_id,
    run: s.run,
    indicators: s.indicators,
    totals: s.totals,
    ran_at: s.ran_at.toISOString(),
    ran_by: s.ran_by,
    elapsed_ms: s.elapsed_ms,
  };
}

const customerRow = (c: store.ScopeCustomerRow): Row => ({
  customer_id: c.customer_id,
  how: [c.logged_in && 'logged_in_from', c.topped_up && 'topped_up', c.paid && 'paid']
    .filter(Boolean)
    .join(' '),
  sign_ins: c.sign_ins,
  topups: c.topups,
  topup_yen: c.topup_minor.toString(),
  payments: c.payments + c.web_payments,
  payment_yen: (c.payment_minor + c.web_payment_minor).toString(),
});

const cardRow = (c: store.ScopeCardRow): Row => ({
  brand: c.card_brand,
  bin: c.card_bin,
  last4: c.card_last4,
  fingerprint: c.card_fingerprint,
  uses: c.uses,
  yen: c.amount_minor.toString(),
  first_at: c.first_at.toISOString(),
  last_at: c.last_at.toISOString(),
});

const merchantRow = (m: store.ScopeMerchantRow): Row => ({
  merchant_id: m.merchant_id,
  payments: m.payments,
  stores: m.stores,
  yen: m.amount_minor.toString(),
});

const itemRow = (i: store.ScopeItemRow): Row => ({
  kind: i.kind,
  id: i.item_id,
  at: i.at.toISOString(),
  customer_id: i.customer_id,
  device_id: i.device_id,
  merchant_id: i.merchant_id,
  store_id: i.store_id,
  terminal_id: i.terminal_id,
  card_brand: i.card_brand,
  card_last4: i.card_last4,
  card_fingerprint: i.card_fingerprint,
  yen: i.amount_minor === null ? null : i.amount_minor.toString(),
});

async function allItems(db: Db, id: string, kinds: string[]): Promise<Row[]> {
  const out: Row[] = [];
  let after: string | null = null;
  while (out.length < EXPORT_ROWS_MAX) {
    const page = await store.scopeItems(db, id, { kinds, after, limit: EXPORT_PAGE_ROWS });
    out.push(...page.map(itemRow));
    if (page.length < EXPORT_PAGE_ROWS) break;
    const last = page[page.length - 1]!;
    after = `${last.kind}:${last.item_id}`;
  }
  return out;
}

async function allCustomers(db: Db, id: string): Promise<Row[]> {
  const out: Row[] = [];
  let after: string | null = null;
  while (out.length < EXPORT_ROWS_MAX) {
    const page = await store.scopeCustomers(db, id, { after, limit: EXPORT_PAGE_ROWS });
    out.push(...page.map(customerRow));
    if (page.length < EXPORT_PAGE_ROWS) break;
    after = page[page.length - 1]!.customer_id;
  }
  return out;
}

/** One part's rows. */
export async function scopePart(db: Db, id: string, part: ScopePart): Promise<Row[]> {
  switch (part) {
    case 'customers':
      return allCustomers(db, id);
    case 'cards':
      return (await store.scopeCards(db, id)).map(cardRow);
    case 'merchants':
      return (await store.scopeMerchants(db, id)).map(merchantRow);
    case 'topups':
      return allItems(db, id, ['topup']);
    case 'payments':
      return allItems(db, id, ['payment', 'web_payment']);
  }
}

/** The run of this incident with this id, or scope_not_found. */
export async function scopeOf(db: Db, incidentId: string, scopeId: string) {
  const s = await store.scopeById(db, scopeId);
  if (!s || s.incident_id !== incidentId) throw incidentsError('scope_not_found');
  return s;
}

/** The whole run as one JSON document. */
export async function scopeExportJson(db: Db, s: store.ScopeRow) {
  const parts: Partial<Record<ScopePart, Row[]>> = {};
  for (const part of SCOPE_PARTS) parts[part] = await scopePart(db, s.id, part);
  return { scope: scopeJson(s), ...parts };
}

/** The run's summary: totals, and the customers, cards and merchants (first page of each). */
export async function scopeSummaryJson(db: Db, s: store.ScopeRow, rowsMax: number) {
  const [customers, cards, merchants] = await Promise.all([
    store.scopeCustomers(db, s.id, { after: null, limit: rowsMax }),
    store.scopeCards(db, s.id),
    store.scopeMerchants(db, s.id),
  ]);
  return {
    scope: scopeJson(s),
    customers: customers.map(customerRow),
    cards: cards.slice(0, rowsMax).map(cardRow),
    merchants: merchants.slice(0, rowsMax).map(merchantRow),
  };
}

/** RFC 4180: quoted when needed; a leading =, +, - or @ is prefixed so no sheet runs it. */
function csvCell(v: string | number | boolean | null): string {
  if (v === null) return '';
  let s = String(v);
  if (/^[=+\-@]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Row[], header?: string[]): string {
  const cols = header ?? Object.keys(rows[0] ?? {});
  const lines = [cols.join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c] ?? null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
