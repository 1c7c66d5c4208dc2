import { publicId } from '../lib/ids.ts';
import { pagewatchError } from './errors.ts';
import { difference, type Inventory } from './inventory.ts';
import type { Actor, PagewatchDeps, PageView } from './service.ts';
import * as store from './store.ts';
import { checkPageUrl, checkPublicHost } from './url.ts';

// Watched pages: a merchant registers its checkout pages (checked against SSRF on the way
// in), the dashboard and the console show each with its state and difference, and a merchant
// (or, for Kinko's own pages, an operator) approves what a page serves as its inventory.

/** Observations one list answers; the page's history beyond is in the database. */
const OBSERVATIONS_LISTED_MAX = 100;
/** Pages and alerts one list answers. */
export const PAGES_LISTED_MAX = 1000;

const policyOf = (deps: PagewatchDeps) => ({ allowLoopback: deps.settings.allowLoopback });

export async function registerPage(
  deps: PagewatchDeps,
  merchantId: string,
  input: { url: string; label?: string | undefined },
  actor: Actor,
): Promise<store.PageRow> {
  const url = checkPageUrl(input.url, policyOf(deps));
  await checkPublicHost(url, policyOf(deps));
  return deps.sql.begin(async (tx) => {
    // Serialises one merchant's registrations, so the limit holds under concurrency.
    await store.lockPages(tx, merchantId);
    const count = await store.countActivePages(tx, merchantId);
    if (count >= deps.settings.pagesPerMerchantMax) throw pagewatchError('page_limit_reached');
    const at = deps.clock.now();
    const row = {
      ...{ id: publicId('page', 16), merchant_id: merchantId, kind: 'checkout' as const },
      ...{ url: url.href, label: input.label ?? null, created_at: at, next_check_at: at },
    };
    if (!(await store.insertPage(tx, row))) throw pagewatchError('page_exists', { param: 'url' });
    await deps.audit.append(tx, [
      {
        action: 'pagewatch.page.registered',
        actor,
        subject: { type: 'pagewatch_page', id: row.id },
        outcome: 'success',
        detail: { merchant_id: merchantId, url: row.url },
      },
    ]);
    return (await store.pageById(tx, row.id))!;
  });
}

/** The page when the caller may see it: its merchant's, or any for operators (undefined). */
async function pageFor(
  deps: PagewatchDeps,
  merchantId: string | null | undefined,
  pageId: string,
): Promise<store.PageRow> {
  const page = await store.pageById(deps.sql, pageId);
  if (!page || (merchantId !== undefined && page.merchant_id !== merchantId)) {
    throw pagewatchError('page_not_found', { param: 'id' });
  }
  return page;
}

export async function removePage(
  deps: PagewatchDeps,
  merchantId: string | null,
  pageId: string,
  actor: Actor,
): Promise<void> {
  const page = await pageFor(deps, merchantId, pageId);
  if (page.merchant_id === null) throw pagewatchError('page_not_found', { param: 'id' });
  await deps.sql.begin(async (tx) => {
    await store.removePage(tx, page.id, deps.clock.now());
    await deps.audit.append(tx, [
      {
        action: 'pagewatch.page.removed',
        actor,
        subject: { type: 'pagewatch_page', id: page.id },
        outcome: 'success',
        detail: { merchant_id: page.merchant_id, url: page.url },
      },
    ]);
  });
}

export async function viewPage(
  deps: PagewatchDeps,
  merchantId: string | null | undefined,
  pageId: string,
): Promise<PageView> {
  const page = await pageFor(deps, merchantId, pageId);
  const latest = (await store.latestObservation(deps.sql, page.id, false)) ?? null;
  const approvedRow = page.approved_observation_id
    ? await store.observationById(deps.sql, page.approved_observation_id)
    : undefined;
  const approved =
    approvedRow?.inventory && page.approved_at
      ? {
          observation_id: approvedRow.id,
          approved_at: page.approved_at,
          inventory: approvedRow.inventory,
        }
      : null;
  const lastLoaded =
    latest?.outcome === 'loaded'
      ? latest
      : ((await store.latestObservation(deps.sql, page.id, true)) ?? null);
  const diff =
    approved && lastLoaded?.inventory ? difference(approved.inventory, lastLoaded.inventory) : null;
  const state: PageView['state'] = !latest
    ? 'awaiting_first_load'
    : latest.outcome === 'failed'
      ? 'failing'
      : !approved
        ? 'awaiting_approval'
        : diff
          ? 'changed'
          : 'approved';
  return { page, state, latest, approved, difference: diff };
}

export async function listObservations(
  deps: PagewatchDeps,
  merchantId: string | null | undefined,
  pageId: string,
) {
  const page = await pageFor(deps, merchantId, pageId);
  return store.listObservations(deps.sql, page.id, OBSERVATIONS_LISTED_MAX);
}

/**
 * Approves an observation as the page's inventory: a merchant its own pages, an operator
 * Kinko's (merchantId null). Only the newest loaded observation: approving an older one
 * would approve something the page no longer serves. Audited with the difference approved.
 */
export async function approveObservation(
  deps: PagewatchDeps,
  merchantId: string | null,
  r: { pageId: string; observationId: string; reason?: string | undefined },
  actor: Actor,
): Promise<PageView> {
  await deps.sql.begin(async (tx) => {
    const page = await store.lockPage(tx, r.pageId);
    if (!page || page.merchant_id !== merchantId || page.status !== 'active') {
      throw pagewatchError('page_not_found', { param: 'id' });
    }
    const obs = await store.observationById(tx, r.observationId);
    if (!obs || obs.page_id !== page.id) {
      throw pagewatchError('page_observation_not_found', { param: 'observation_id' });
    }
    if (obs.outcome !== 'loaded' || !obs.inventory) {
      throw pagewatchError('page_observation_not_loaded', { param: 'observation_id' });
    }
    const newest = await store.latestObservation(tx, page.id, true);
    if (newest?.id !== obs.id) throw pagewatchError('page_observation_stale');
    const before = page.approved_observation_id
      ? await store.observationById(tx, page.approved_observation_id)
      : undefined;
    const at = deps.clock.now();
    const reason = r.reason ?? null;
    await store.insertApproval(tx, {
      ...{ pageId: page.id, observationId: obs.id, at, reason },
      ...{ actorType: actor.type, actorId: actor.id ?? null },
    });
    await deps.audit.append(tx, [
      {
        action: 'pagewatch.inventory.approved',
        actor,
        subject: { type: 'pagewatch_page', id: page.id },
        outcome: 'success',
        detail: {
          ...{ merchant_id: page.merchant_id, url: page.url, observation_id: obs.id, reason },
          first: !before,
          difference: before?.inventory ? difference(before.inventory, obs.inventory) : null,
        },
      },
    ]);
  });
  return viewPage(deps, merchantId, r.pageId);
}
