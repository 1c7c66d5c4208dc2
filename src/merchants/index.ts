import * as auth from './auth.ts';
import { createMerchantCommand } from './cli.ts';
import { createMerchant } from './create.ts';
import { requireMerchantKey } from './http.ts';
import { rollApiKey, revokeApiKey, setAllowedOrigins } from './manage.ts';
import {
  apiKeyView,
  insertApiKey,
  insertStore,
  insertTerminal,
  merchantOrThrow,
  storeView,
  terminalView,
  type MerchantsDeps,
} from './merchants.ts';
import { seedDemoMerchant } from './seed.ts';
import type { Merchants } from './service.ts';
import * as store from './store.ts';
import * as teamStore from './team/store.ts';
import type { Tx } from '../db/index.ts';
import { approveAtRegister } from './team/step-up.ts';
import { teamRoutes } from './team/routes.ts';
import { inviteIn } from './team/invitations.ts';
import { merchantsError } from './errors.ts';

// Merchants: who sells through Kinko, where, on which registers, and with which credentials.
//
// Glossary
// - merchant: a business taking payments (mer_…); may be suspended.
// - store: a physical shop of a merchant (sto_…) with its merchant category code (MCC),
//   name, city and postal code.
// - terminal: a register (POS) in a store (term_…); it signs in with its terminal secret
//   (tk_…, shown once, kept as a SHA-256 hash).
// - secret key: sk_live_…/sk_test_…, full access to the merchant API, shown once, kept hashed.
// - restricted key: rk_live_…/rk_test_…, a secret key limited to the scopes it lists.
// - publishable key: pk_live_…/pk_test_…, public, identifies the merchant to hosted fields.
// - mode: live or test; a key's mode is its traffic's mode. A terminal's mode is fixed at
//   its creation: a test terminal signs in but takes no wallet (real) money.
// - scope: what a key may do (payments:write, …); standard secret keys hold `*`.
// - roll: replace a key; the old one keeps working until expires_at (the overlap period).
// - revoke: stop a key at once.
// - allowed origin: scheme://host[:port] of a merchant page that may frame hosted fields.
// - principal: the authenticated caller of a request (merchant, key or person, scopes, mode).
// - person: someone of the merchant's team who signs in to the dashboard with email,
//   password and a mandatory second factor (TOTP, or a recovery code in its place); one
//   merchant, one role (team/access.ts: owner, admin, developer, analyst, store_manager).
// - invitation: how a person joins: a link by email that expires; accepting sets the
//   password and enrols the authenticator before the person exists.
// - register approval: a manager's email and authenticator code typed at a register, so
//   the register can refund in the manager's name without an API key.

export { merchantsError } from './errors.ts';
export { type Scope } from './keys.ts';
export { merchantKeyOf, merchantScopeOf } from './http.ts';
export { merchantRoutes } from './routes.ts';
export type { Merchants } from './service.ts';
export { MERCHANTS_CREATE_USAGE } from './cli.ts';
export type { MerchantPrincipal } from './auth.ts';
export type { CreatedMerchant } from './create.ts';

const LIST_MAX = 1000;

export function createMerchants(deps: MerchantsDeps): Merchants {
  const { sql, clock } = deps;
  const inTx = <T>(fn: (tx: Tx) => Promise<T>) => sql.begin(fn) as Promise<T>;
  const resolvePublishableKey = (pk: string) => auth.resolvePublishableKey(deps, pk);
  return {
    createMerchant: (input, actor, source) => createMerchant(deps, input, actor, source),
    getMerchant: async (id) => {
      const m = await store.merchantWithMode(sql, id);
      if (!m) throw merchantsError('merchant_not_found');
      const { name, status, livemode } = m;
      return { id: m.id, name, status, cardDataCapable: m.card_data_capable, livemode };
    },
    createStore: (id, input, actor, source) =>
      inTx((tx) => insertStore(deps, tx, id, input, actor, source)),
    listStores: async (id) => (await store.listStores(sql, id, LIST_MAX)).map(storeView),
    getStore: async (merchantId, storeId) => {
      const s = await store.storeById(sql, storeId);
      if (!s || s.merchant_id !== merchantId) throw merchantsError('store_not_found');
      return storeView(s);
    },
    createTerminal: (id, input, actor, source) =>
      inTx((tx) => insertTerminal(deps, tx, id, input, actor, source)),
    listTerminals: async (id) => (await store.listTerminals(sql, id, LIST_MAX)).map(terminalView),
    createApiKey: (id, input, actor, source) =>
      inTx(async (tx) => {
        await merchantOrThrow(tx, id);
        return insertApiKey(deps, tx, id, input, actor, source);
      }),
    listApiKeys: async (id) => {
      const now = clock.now();
      return (await store.listApiKeys(sql, id)).map((r) => apiKeyView(r, now));
    },
    rollApiKey: (id, keyId, input, actor, source) =>
      rollApiKey(deps, id, keyId, input, actor, source),
    revokeApiKey: (id, keyId, actor, source) => revokeApiKey(deps, id, keyId, actor, source),
    allowedOrigins: (id) => store.listOrigins(sql, id),
    alertContacts: (db, id) => teamStore.emailsByRole(db, id, ['owner', 'admin', 'developer']),
    setAllowedOrigins: (id, origins, actor, source) =>
      setAllowedOrigins(deps, id, origins, actor, source),
    authenticateSecretKey: (bearer) => auth.authenticateSecretKey(deps, bearer),
    authenticateTerminal: (id, secret) => auth.authenticateTerminal(deps, id, secret),
    resolvePublishableKey,
    ownersAndAdmins: async (db, ids) =>
      (await teamStore.ownersAndAdmins(db, ids)).map((p) => ({
        merchantId: p.merchant_id,
        personId: p.id,
        email: p.email,
      })),
    directory: {
      resolvePublishableKey,
      resolveSecretKey: (sk) => auth.resolveSecretKey(deps, sk),
    },
    requireMerchantKey: (scope) => requireMerchantKey(deps, scope),
    approveAtRegister: (input, source) => approveAtRegister(deps, input, source),
    teamRoutes: (app) => teamRoutes(app, deps),
    inviteOwner: (merchantId, email) =>
      inTx((tx) => inviteIn(deps, tx, null, { merchantId, email, role: 'owner' }, undefined)),
    createMerchantCommand: (args, out, err) => createMerchantCommand(deps, args, out, err),
    seedDemoMerchant: (options) => seedDemoMerchant(deps, options),
  };
}
