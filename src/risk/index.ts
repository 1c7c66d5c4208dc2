// Risk: the decision taken before any money moves.
//
// Glossary
// - rule set: versioned data in risk_rule_sets; each rule a JSON Logic condition over named
//   signals, a decision and a reason code. Ordered rules, most severe wins (engine.ts).
// - version status: draft (being written), shadow (decided beside the live version and
//   recorded, never enforced), live (enforced; one at a time), retired.
// - signal: a named fact a rule reads (signals.ts): account, device, source, card, amount,
//   merchant category, velocity.
// - velocity: count and yen per customer, device, card fingerprint, source network, store
//   and terminal over 1 minute, 1 hour and 1 day, in PostgreSQL (risk_velocity).
// - decision: allow, step_up (allowed after a fresh strong factor), review (held for an
//   analyst where the customer can wait: top-ups and web payments, the latter authorized
//   first; at a counter, asked as a step_up), block.
//   Stored in risk_decisions with the version and the rules fired.
// - review: a subject (top-up, merchant's web payment, later card link) held by a `review`
//   decision until an analyst approves (money moves, once) or declines (nothing moves), or
//   closed when the subject ends while waiting (an expired authorization); the owning
//   module registers its kind's handlers (reviews.ts), risk keeps the queue (risk_reviews).
// - reason code: what a customer is told, in plain words (reasons.ts), never the rule.
// - tier: standard, new (a young account) or cooldown (just after a post-recovery hold);
//   each has its own top-up limits. own limits: lower limits the customer set.
// - usage: what was topped up in the local (JST) day and month, kept in risk_usage.
// - fact: what another module knows about an attempt (device age, security changes, card
//   fingerprint seen elsewhere, amount history), handed in through the FactSource main.ts
//   wires (facts.ts).
// - home networks: the home country's (Japan's) address ranges from a registry's delegated
//   statistics file, loaded by `kinko risk ip-table load` (home-networks.ts).
// - card range (BIN table): the issuer country, funding and brand of six-digit card prefix
//   ranges, loaded from a CSV file by `kinko risk bin-table load` (card-ranges.ts); read
//   against the vault's BIN for `card_country` and `card_funding`.

export { DEFAULT_RULE_SET } from './default-rules.ts';
export { riskRoutes } from './routes.ts';
export {
  riskBinTableCommand,
  riskIpTableCommand,
  RISK_BIN_TABLE_USAGE,
  RISK_IP_TABLE_USAGE,
} from './cli.ts';
export { NO_CUSTOMER, sourcePrefix, type FactSource, type RiskFacts } from './facts.ts';
export { reviewRoutes } from './review-routes.ts';
export type { Actor as OperatorActor } from './versions.ts';
export type { Review, ReviewHandlers } from './reviews.ts';
export {
  cardLinkRefusal,
  createRisk,
  limitsJson,
  refusalOf,
  type AssessInput,
  type Assessment,
  type BatchReads,
  type Risk,
} from './risk.ts';
