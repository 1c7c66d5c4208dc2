// Risk: the decision taken before any money moves.
//
// Glossary
// - assessment: a decision (allow, review, step_up, block) and the reasons behind it; both
//   are stored with the payment or top-up they were taken for.
// - reason: a short name: limit_per_topup, limit_daily, limit_monthly, tier:new,
//   tier:cooldown, account_frozen, velocity:<rule id>.
// - tier: standard, new (a young account) or cooldown (just after a post-recovery hold);
//   each has its own top-up limits.
// - own limits: lower limits the customer set; never above the tier's maximum.
// - usage: what was topped up in the local (JST) day and month, kept in risk_usage.
// - velocity rule: data — subject (customer, device, terminal), window, count or amount
//   maximum, and the decision when passed; counted in memory per process.
// - review: allowed, flagged for an analyst. step_up: allowed after a fresh strong factor.

export { RISK_ERRORS, type RiskErrorCode } from './errors.ts';
export { createRisk, limitsJson, refusalOf, type Assessment, type Risk } from './risk.ts';
