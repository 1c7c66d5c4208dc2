// Pagewatch: the payment-page integrity monitor (PCI DSS v4.0.1 requirement 11.6.1).
//
// Glossary
// - watched page: a URL the monitor loads on a schedule: a merchant's registered checkout
//   page, or one of Kinko's own payment pages (hosted card fields, the 3-D Secure
//   challenge), which are watched always.
// - pass: one run of the worker in one process: Kinko's pages ensured, due pages taken under
//   a lease (pagewatch_pages.next_check_at and lease_until), each loaded in Chromium.
// - observation: what one load received and ran, or why it did not load (insert-only).
// - inventory: an observation's scripts (URL and SHA-256 of the body; inline and evaluated
//   scripts by the hash of their text), security headers (CSP nonces masked), frames (origin
//   and path) and form actions, canonical so two loads of an unchanged page are equal.
// - approved inventory: the observation a merchant (Kinko's pages: an operator) approved.
// - difference: what a later observation has that the approved inventory has not, or not
//   the same (inventory.ts); new or changed scripts, changed headers, new frames or form
//   actions are an alert.
// - alert: a difference seen for the first time: an incident (detector `pagewatch.page`,
//   keyed by the page, so later alerts join the open one), a `page.integrity_alert` webhook
//   event, an email to the merchant's owners, admins and developers, an audit entry.
// - script window: the time a page ran a script with a given hash (pagewatch_scripts),
//   which an incident's scope reads for its script-hash indicator.
// - address policy: only public addresses are dialled, checked on the address used (SSRF);
//   loopback only with KINKO_PAGEWATCH_ALLOW_LOOPBACK (never in production).

import { createMonitor } from './monitor.ts';
import {
  approveObservation,
  listObservations,
  PAGES_LISTED_MAX,
  registerPage,
  removePage,
  viewPage,
} from './pages.ts';
import type { Pagewatch, PagewatchDeps } from './service.ts';
import * as store from './store.ts';

export { PAGE_ALERT_EVENT } from './monitor.ts';
export { pagewatchRoutes } from './routes.ts';
export type { Pagewatch } from './service.ts';

export function createPagewatch(deps: PagewatchDeps): Pagewatch {
  const monitor = createMonitor(deps);
  return {
    register: (merchantId, input, actor) => registerPage(deps, merchantId, input, actor),
    remove: (merchantId, pageId, actor) => removePage(deps, merchantId, pageId, actor),
    list: (merchantId) => store.listPages(deps.sql, merchantId, PAGES_LISTED_MAX),
    view: (merchantId, pageId) => viewPage(deps, merchantId, pageId),
    observations: (merchantId, pageId) => listObservations(deps, merchantId, pageId),
    alerts: (merchantId) => store.listAlerts(deps.sql, merchantId, PAGES_LISTED_MAX),
    approve: (merchantId, r, actor) => approveObservation(deps, merchantId, r, actor),
    status: monitor.status,
    runPass: monitor.runPass,
    startWorker: monitor.startWorker,
  };
}
