import type { AccessScope } from '../keys.ts';

// Who among a merchant's people may do what, as data (like the operators' OPERATOR_ACCESS):
// each action lists the roles allowed to do it. The merchant API's scopes are actions too,
// so a dashboard request reaches the same routes an API key does, and the role decides in
// place of the key's scopes. Least privilege: an analyst reads and exports and changes
// nothing; a developer holds API keys and webhooks but moves no money; a store manager
// refunds, and only payments taken at their own stores (checked where the payment is known).

export const MERCHANT_ROLES = ['owner', 'admin', 'developer', 'analyst', 'store_manager'] as const;
export type MerchantRole = (typeof MERCHANT_ROLES)[number];

const ALL: readonly MerchantRole[] = MERCHANT_ROLES;

export const MERCHANT_ACCESS = Object.freeze({
  // The merchant API's scopes, as the dashboard uses them.
  'payments:read': ALL,
  'payments:write': ['owner', 'admin'],
  'refunds:write': ['owner', 'admin', 'store_manager'],
  'webhooks:read': ['owner', 'admin', 'developer', 'analyst'],
  'webhooks:write': ['owner', 'admin', 'developer'],
  'merchants:read': ALL,
  'merchants:write': ['owner', 'admin'],
  // Payment pages the integrity monitor watches: developers maintain the checkout, so they
  // register pages and approve a legitimate change; analysts see the alerts.
  'pages:read': ['owner', 'admin', 'developer', 'analyst'],
  'pages:write': ['owner', 'admin', 'developer'],
  // Creating, rolling and revoking API keys; a new key's value is shown once.
  'keys:write': ['owner', 'admin', 'developer'],
  // The team itself.
  'team.self': ALL,
  'team.read': ['owner', 'admin'],
  'team.invite': ['owner', 'admin'],
  'team.remove': ['owner', 'admin'],
  // A refund at a register, approved by a manager's own second factor there.
  'register.refund': ['owner', 'admin', 'store_manager'],
} satisfies Record<AccessScope | `${string}.${string}`, readonly MerchantRole[]>);

export type MerchantAction = keyof typeof MERCHANT_ACCESS;

export function mayDo(role: MerchantRole, action: MerchantAction): boolean {
  return (MERCHANT_ACCESS[action] as readonly MerchantRole[]).includes(role);
}

/**
 * Whether a person of `role` may invite or remove a person of `target`. There is one owner,
 * made with the merchant and never invited or removed; the owner manages everyone else, and
 * an admin manages the roles below admin, so one admin cannot remove another to act alone.
 */
export function mayManage(role: MerchantRole, target: MerchantRole): boolean {
  if (target === 'owner') return false;
  if (role === 'owner') return true;
  return role === 'admin' && target !== 'admin';
}
