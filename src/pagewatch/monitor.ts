import fs from 'node:fs';
import os from 'node:os';
import type { Browser } from 'playwright-core';
import type { Tx } from '../db/index.ts';
import { publicId } from '../lib/ids.ts';
import { launchMonitorBrowser, loadPage, type LoaderSettings, type LoadResult } from './browser.ts';
import {
  canonicalInventory,
  describe,
  difference,
  inventoryHash,
  type Difference,
} from './inventory.ts';
import type { MonitorStatus, PagewatchDeps, PassResult } from './service.ts';
import * as store from './store.ts';
import { startPeriodic } from '../lib/periodic.ts';

// The worker: a pass ensures Kinko's own pages are watched, takes the pages that are due
// (a lease in PostgreSQL, so processes running the same pass share the pages and none is
// loaded twice), loads each in Chromium and records the observation. A loaded page whose
// inventory differs from its approved one in a way that matters, and differs from what the
// previous load saw (a new change, not the same one again), raises the alert: an incident
// through the incidents module's detector interface (joining the page's open one), a
// webhook event and an email to the merchant, an audit entry, and the observation itself,
// which the dashboard and console list with its difference.
//
// Without a browser the worker does not go quiet: the status says monitoring is off
// (dashboard, console, /readyz), the browser-up metric is 0 and each pass logs an error.

/** The webhook event a merchant's endpoints receive when one of its pages changed. */
export const PAGE_ALERT_EVENT = 'page.integrity_alert';
const DETECTOR = 'pagewatch.page';

/** A difference that is an alert: something new runs, or the rules that fence it changed. */
function alerting(d: Difference): boolean {
  return (
    d.scripts_added.length + d.scripts_changed.length + d.headers_changed.length > 0 ||
    d.frames_added.length + d.form_actions_added.length > 0
  );
}

interface MonitorState {
  browserUp: boolean | null;
  lastPassAt: Date | null;
}

function executable(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

function monitorStatus(deps: PagewatchDeps, state: MonitorState): MonitorStatus {
  const path = deps.settings.executablePath;
  const up = state.browserUp ?? executable(path);
  return {
    monitoring: up ? 'on' : 'off',
    reason: up ? null : 'no_browser',
    browser: path,
    interval_seconds: deps.settings.intervalSeconds,
    last_pass_at: state.lastPassAt?.toISOString() ?? null,
  };
}

function loaderSettings(deps: PagewatchDeps): LoaderSettings {
  const s = deps.settings;
  return {
    executablePath: s.executablePath,
    policy: { allowLoopback: s.allowLoopback },
    fetch: { timeoutMs: s.fetchTimeoutMs, bodyBytesMax: s.fetchBodyBytesMax },
    loadTimeoutMs: s.loadTimeoutMs,
    settleMs: s.settleMs,
  };
}

/** Kinko's own pages, as configured now: added when new, retired when no longer listed. */
async function ensureKinkoPages(deps: PagewatchDeps): Promise<void> {
  const pages = deps.kinkoPages();
  const at = deps.clock.now();
  await deps.sql.begin(async (tx) => {
    await store.lockPages(tx, null);
    for (const p of pages) {
      const id = publicId('page', 16);
      const row = { id, merchant_id: null, kind: p.kind, url: p.url, label: null };
      await store.insertPage(tx, { ...row, created_at: at, next_check_at: at });
    }
    await store.retireKinkoPagesBut(
      tx,
      pages.map((p) => p.url),
      at,
    );
  });
}

const HOLDER = `${os.hostname()}:${process.pid}:${publicId('pass', 6)}`;

export function createMonitor(deps: PagewatchDeps) {
  const state: MonitorState = { browserUp: null, lastPassAt: null };
  const status = () => monitorStatus(deps, state);
  const runPass = async (options: { allDue?: boolean } = {}): Promise<PassResult> => {
    await ensureKinkoPages(deps);
    const now = deps.clock.now();
    if (options.allDue) await store.makeAllDue(deps.sql, now);
    const interval = deps.settings.intervalSeconds * 1000;
    const pages = await store.claimDuePages(deps.sql, {
      ...{ holder: HOLDER, now, next: new Date(now.getTime() + interval) },
      ...{ leaseUntil: new Date(now.getTime() + interval), limit: deps.settings.pagesPerPassMax },
    });
    const result = { checked: 0, loaded: 0, failed: 0, alerts: 0 };
    state.lastPassAt = now;
    if (pages.length === 0) return { status: status(), ...result };
    const browser = await launch(deps, state);
    try {
      for (const page of pages) {
        if (!browser) break;
        const loaded = await loadPage(browser, page.url, loaderSettings(deps)).catch(
          (err: unknown): LoadResult => ({ outcome: 'failed', failure: String(err).slice(0, 500) }),
        );
        const alerted = await deps.sql.begin((tx) => recordLoad(deps, tx, page.id, loaded));
        result.checked++;
        result[loaded.outcome]++;
        if (alerted) result.alerts++;
      }
    } finally {
      for (const page of pages) await store.releaseLease(deps.sql, page.id, HOLDER);
      await browser?.close().catch(() => undefined);
    }
    return { status: status(), ...result };
  };
  return { status, runPass, startWorker: () => startPasses(deps, runPass) };
}

async function launch(deps: PagewatchDeps, state: MonitorState): Promise<Browser | null> {
  try {
    const browser = await launchMonitorBrowser(deps.settings.executablePath);
    if (state.browserUp === false) deps.log.info('page monitor: the browser starts again');
    state.browserUp = true;
    deps.reportBrowser?.(true);
    return browser;
  } catch (err) {
    state.browserUp = false;
    deps.reportBrowser?.(false);
    deps.log.error(
      { browser: deps.settings.executablePath, err: String(err).split('\n')[0] },
      'page monitor: no browser; payment pages are NOT being watched (KINKO_PAGEWATCH_BROWSER)',
    );
    return null;
  }
}

/** Stores one load; true when it raised an alert. */
async function recordLoad(
  deps: PagewatchDeps,
  tx: Tx,
  pageId: string,
  loaded: LoadResult,
): Promise<boolean> {
  const page = await store.lockPage(tx, pageId);
  if (!page || page.status !== 'active') return false;
  const id = publicId('pgobs', 16);
  const at = deps.clock.now();
  if (loaded.outcome === 'failed') {
    deps.countCheck?.('failed');
    deps.log.warn({ page_id: page.id, failure: loaded.failure }, 'page monitor: page did not load');
    await store.insertObservation(tx, {
      ...{ id, page_id: page.id, observed_at: at, outcome: 'failed', failure: loaded.failure },
      ...{ inventory: null, inventory_hash: null, difference: null, incident_id: null },
    });
    return false;
  }
  const inventory = canonicalInventory(loaded.inventory);
  const hash = inventoryHash(inventory);
  const previous = await store.latestObservation(tx, page.id, true);
  const approved = page.approved_observation_id
    ? await store.observationById(tx, page.approved_observation_id)
    : undefined;
  const diff = approved?.inventory ? difference(approved.inventory, inventory) : null;
  const isNew = !previous?.inventory_hash?.equals(hash);
  const alert = diff !== null && alerting(diff) && isNew;
  const incidentId = alert ? await raiseAlert(deps, tx, page, id, diff, at) : null;
  await store.insertObservation(tx, {
    ...{ id, page_id: page.id, observed_at: at, outcome: 'loaded', failure: null },
    ...{ inventory, inventory_hash: hash, difference: diff, incident_id: incidentId },
  });
  const prev = previous ? { id: previous.id, at: previous.observed_at } : null;
  await store.recordScripts(tx, {
    ...{ pageId: page.id, observationId: id, at, previous: prev, scripts: inventory.scripts },
  });
  deps.countCheck?.(alert ? 'changed' : 'loaded');
  return alert;
}

/** The incident (joined when open), the webhook event, the emails and the audit entry. */
async function raiseAlert(
  deps: PagewatchDeps,
  tx: Tx,
  page: store.PageRow,
  observationId: string,
  diff: Difference,
  at: Date,
): Promise<string> {
  const lines = describe(diff);
  const severe = diff.scripts_added.length + diff.scripts_changed.length > 0;
  const detail = {
    ...{ page_id: page.id, merchant_id: page.merchant_id, url: page.url },
    ...{ observation_id: observationId, difference: diff },
  };
  const raised = await deps.raise(tx, {
    ...{ detector: DETECTOR, key: page.id, kind: 'pagewatch.page_changed' },
    title: `Payment page changed: ${page.url}`.slice(0, 200),
    severity: severe || diff.form_actions_added.length > 0 ? 'critical' : 'high',
    summary: lines.slice(0, 10).join('; ').slice(0, 1000),
    ...{ detail, at },
  });
  if (page.merchant_id !== null) await tellMerchant(deps, tx, page, observationId, diff, at);
  await deps.audit.append(tx, [
    {
      action: 'pagewatch.page.changed',
      actor: { type: 'system' },
      subject: { type: 'pagewatch_page', id: page.id },
      outcome: 'failure',
      detail: { ...detail, incident_id: raised.incidentId },
    },
  ]);
  deps.log.error(
    { ...detail, incident_id: raised.incidentId },
    'page monitor: payment page changed',
  );
  return raised.incidentId;
}

async function tellMerchant(
  deps: PagewatchDeps,
  tx: Tx,
  page: store.PageRow,
  observationId: string,
  diff: Difference,
  at: Date,
): Promise<void> {
  const merchantId = page.merchant_id!;
  await deps.emitWebhook(tx, {
    merchantId,
    type: PAGE_ALERT_EVENT,
    orderKey: page.id,
    object: {
      ...{ id: observationId, object: 'page_alert', page_id: page.id, url: page.url },
      ...{ observed_at: at.toISOString(), difference: diff },
    },
  });
  const contacts = await deps.alertContacts(tx, merchantId);
  const text = [
    `Kinko's payment-page monitor saw a change on ${page.url} that you have not approved:`,
    '',
    ...describe(diff)
      .slice(0, 30)
      .map((l) => `- ${l}`),
    '',
    'If you did not make this change, your checkout page may be skimming cards: take it',
    'down and call Kinko. If you did, approve it in the dashboard under Payment pages.',
  ].join('\n');
  const subject = 'Kinko: unapproved change on your payment page';
  await deps.enqueueEmails(
    tx,
    contacts.map((to) => ({ to, subject, text })),
  );
}

function startPasses(deps: PagewatchDeps, runPass: () => Promise<PassResult>) {
  const seconds = Math.max(1, Math.min(60, Math.floor(deps.settings.intervalSeconds / 5)));
  return startPeriodic({
    intervalMs: seconds * 1000,
    immediately: true,
    run: runPass,
    onError: (err) => deps.log.error({ err }, 'page monitor pass failed'),
  });
}
