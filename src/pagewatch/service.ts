import type { AuditEntryInput } from '../audit/index.ts';
import type { Db, Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Difference, Inventory } from './inventory.ts';
import type { AlertRow, ObservationRow, PageKind, PageRow } from './store.ts';

// What the page monitor offers the rest of Kinko: createPagewatch (index.ts) builds it, and
// the routes take it from here, so no file of the module imports index.ts.

interface PagewatchSettings {
  /** How often each page is loaded (KINKO_PAGEWATCH_SECONDS_INTERVAL, default 300). */
  intervalSeconds: number;
  /** Debian's Chromium (KINKO_PAGEWATCH_BROWSER, default /usr/bin/chromium). */
  executablePath: string;
  /** Loopback (and http:// to it) allowed: development and tests only. */
  allowLoopback: boolean;
  loadTimeoutMs: number;
  settleMs: number;
  fetchTimeoutMs: number;
  /** Largest body the monitor takes for one request of a page (a script, the page). */
  fetchBodyBytesMax: number;
  pagesPerMerchantMax: number;
  /** Pages one process loads in one pass of the worker. */
  pagesPerPassMax: number;
}

interface Signal {
  detector: string;
  key: string;
  kind?: string;
  title: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  summary?: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

export interface PagewatchDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  audit: { append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void> };
  /** The incidents module's detector interface: joins the page's open incident, or opens one. */
  raise(tx: Tx, signal: Signal): Promise<{ incidentId: string; joined: boolean }>;
  /** A webhook event for the merchant's endpoints, in the caller's transaction. */
  emitWebhook(
    tx: Tx,
    e: { merchantId: string; type: string; object: object; orderKey: string },
  ): Promise<string>;
  /** Emails (through the outbox and the notify worker), in the caller's transaction. */
  enqueueEmails(
    tx: Tx,
    messages: readonly { to: string; subject: string; text: string }[],
  ): Promise<void>;
  /** Who of a merchant's team hears of an alert (owners, admins, developers). */
  alertContacts(db: Db, merchantId: string): Promise<string[]>;
  /** Kinko's own payment pages, watched always; read at each pass (the origin may be set late). */
  kinkoPages(): ReadonlyArray<{ kind: Exclude<PageKind, 'checkout'>; url: string }>;
  /** Whether the browser launched at the last pass (a metric); none when absent. */
  reportBrowser?: ((up: boolean) => void) | undefined;
  /** Counts page loads by outcome (loaded, failed, changed). */
  countCheck?: ((outcome: string) => void) | undefined;
  settings: PagewatchSettings;
}

export interface Actor {
  type: 'merchant' | 'merchant_person' | 'api_key' | 'operator' | 'cli';
  id?: string | undefined;
}

export interface MonitorStatus {
  /** `off` when the browser cannot be started: nothing is being watched. */
  monitoring: 'on' | 'off';
  reason: 'no_browser' | null;
  browser: string;
  interval_seconds: number;
  last_pass_at: string | null;
}

export interface PageView {
  page: PageRow;
  state: 'awaiting_first_load' | 'awaiting_approval' | 'approved' | 'changed' | 'failing';
  latest: ObservationRow | null;
  approved: { observation_id: string; approved_at: Date; inventory: Inventory } | null;
  difference: Difference | null;
}

export interface PassResult {
  status: MonitorStatus;
  checked: number;
  loaded: number;
  failed: number;
  alerts: number;
}

export interface Pagewatch {
  register(
    merchantId: string,
    input: { url: string; label?: string },
    actor: Actor,
  ): Promise<PageRow>;
  remove(merchantId: string | null, pageId: string, actor: Actor): Promise<void>;
  list(merchantId: string | null | undefined): Promise<PageRow[]>;
  /** The page as the dashboard or console shows it; merchantId undefined for operators. */
  view(merchantId: string | null | undefined, pageId: string): Promise<PageView>;
  observations(merchantId: string | null | undefined, pageId: string): Promise<ObservationRow[]>;
  alerts(merchantId: string | undefined): Promise<AlertRow[]>;
  /** Approves an observation (the page's newest loaded one) as its inventory, audited. */
  approve(
    merchantId: string | null,
    r: { pageId: string; observationId: string; reason?: string | undefined },
    actor: Actor,
  ): Promise<PageView>;
  status(): MonitorStatus;
  /** One pass: Kinko's pages ensured, due pages claimed, loaded, compared, alerted. */
  runPass(options?: { allDue?: boolean }): Promise<PassResult>;
  /** A pass at once, then every intervalSeconds ÷ 5 (pages are due per their own schedule). */
  startWorker(): () => Promise<void>;
}
