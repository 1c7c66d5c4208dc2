import type { AuditEntryInput } from '../audit/index.ts';
import type { Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { compileRuleSet, RuleSetInvalid } from './engine.ts';
import type { RuleBook } from './rulebook.ts';
import * as store from './store.ts';
import { riskError } from './errors.ts';

// Rule-set versions: an analyst drafts a version (validated and compiled before it is
// stored), may run it in shadow (decided and recorded beside the live version, never
// enforced), compares the two over recent traffic (diff), and asks for its promotion; a
// second operator approves it, and only then does it become live (the previous live version
// is retired). Every step is audited in the transaction that takes it, and the database
// itself refuses an approval by the operator who asked (risk_rule_sets' check).

export interface VersionsDeps {
  sql: Sql;
  clock: Clock;
  audit: { append(tx: Tx, entries: readonly AuditEntryInput[]): Promise<void> };
  rules: RuleBook;
}

export interface Actor {
  operatorId: string;
  source?: { ip: string; requestId?: string | undefined } | undefined;
}

export interface RuleSetView {
  version: number;
  status: store.RuleSetRow['status'];
  rules: unknown;
  note: string;
  created_by: string;
  created_at: string;
  promotion_requested_by: string | null;
  approved_by: string | null;
  live_at: string | null;
}

export function ruleSetView(r: store.RuleSetRow): RuleSetView {
  return {
    version: r.version,
    status: r.status,
    rules: r.rules,
    note: r.note,
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
    promotion_requested_by: r.promotion_requested_by,
    approved_by: r.approved_by,
    live_at: r.live_at?.toISOString() ?? null,
  };
}

function audited(action: string, who: Actor, version: number, detail: object): AuditEntryInput {
  return {
    action,
    actor: { type: 'operator', id: who.operatorId },
    subject: { type: 'risk_rule_set', id: String(version) },
    source: who.source ? { ip: who.source.ip, requestId: who.source.requestId } : undefined,
    outcome: 'success',
    detail: detail as Record<string, unknown>,
  };
}

/** Loads a version under lock, checking it is in one of the allowed states. */
async function lockedVersion(tx: Tx, version: number, allowed: readonly string[]) {
  const row = await store.ruleSet(tx, version, true);
  if (!row) throw riskError('risk_rule_set_not_found');
  if (!allowed.includes(row.status)) {
    throw riskError('risk_rule_set_wrong_status', { extra: { status: row.status } });
  }
  return row;
}

export async function draft(
  deps: VersionsDeps,
  who: Actor,
  input: { rules: unknown; note: string },
): Promise<RuleSetView> {
  try {
    compileRuleSet(0, input.rules);
  } catch (e) {
    if (!(e instanceof RuleSetInvalid)) throw e;
    throw riskError('risk_rule_set_invalid', { extra: { rule: e.ruleId, problem: e.problem } });
  }
  const at = deps.clock.now();
  const version = await deps.sql.begin(async (tx) => {
    const v = await store.insertDraft(tx, { ...input, createdBy: who.operatorId, at });
    await deps.audit.append(tx, [audited('risk.rule_set.drafted', who, v, { note: input.note })]);
    return v;
  });
  return ruleSetView((await store.ruleSet(deps.sql, version))!);
}

/**
 * Offers the rule set this release ships (default-rules.ts), once, at start: on a fresh
 * database it is seeded as live version 1, as the first decision would; on a database that
 * already has rule sets, none holding exactly these rules, it is drafted as the next version
 * (audited, by the system) and waits for an analyst to shadow it and two operators to
 * promote it, since a release must not change a running risk policy on its own. Several
 * processes starting at once draft it once (the table's lock). Returns the version drafted.
 */
export async function offerShipped(deps: VersionsDeps, rules: unknown): Promise<number | null> {
  const at = deps.clock.now();
  const drafted = await deps.sql.begin(async (tx) => {
    await store.lockRuleSets(tx);
    if (await store.noRuleSets(tx)) {
      await store.seedRuleSet(tx, rules, at);
      return null;
    }
    if (await store.hasRuleSet(tx, rules)) return null;
    const note = 'the rule set this Kinko release ships; promote it after a shadow run';
    const v = await store.insertDraft(tx, { rules, note, createdBy: 'system', at });
    await deps.audit.append(tx, [
      {
        action: 'risk.rule_set.drafted',
        actor: { type: 'system' },
        subject: { type: 'risk_rule_set', id: String(v) },
        outcome: 'success',
        detail: { note, shipped: true },
      },
    ]);
    return v;
  });
  deps.rules.invalidate();
  return drafted;
}

/** Runs a draft in shadow; a version already in shadow goes back to draft. */
export async function shadow(deps: VersionsDeps, who: Actor, version: number): Promise<void> {
  await deps.sql.begin(async (tx) => {
    await lockedVersion(tx, version, ['draft']);
    for (const r of await store.activeRuleSets(tx)) {
      if (r.status === 'shadow') await store.setStatus(tx, r.version, { status: 'draft' });
    }
    await store.setStatus(tx, version, { status: 'shadow' });
    await deps.audit.append(tx, [audited('risk.rule_set.shadow_started', who, version, {})]);
  });
  deps.rules.invalidate();
}

export async function requestPromotion(deps: VersionsDeps, who: Actor, version: number) {
  await deps.sql.begin(async (tx) => {
    await lockedVersion(tx, version, ['draft', 'shadow']);
    await store.setStatus(tx, version, {
      promotion_requested_by: who.operatorId,
      promotion_requested_at: deps.clock.now(),
      approved_by: null,
    });
    await deps.audit.append(tx, [audited('risk.rule_set.promotion_requested', who, version, {})]);
  });
}

/** A second operator approves: the version goes live and the live one is retired. */
export async function approvePromotion(deps: VersionsDeps, who: Actor, version: number) {
  await deps.sql.begin(async (tx) => {
    const row = await lockedVersion(tx, version, ['draft', 'shadow']);
    if (!row.promotion_requested_by) throw riskError('risk_promotion_not_requested');
    if (row.promotion_requested_by === who.operatorId) {
      throw riskError('risk_promotion_needs_second_operator');
    }
    const now = deps.clock.now();
    const retired: number[] = [];
    for (const r of await store.activeRuleSets(tx)) {
      if (r.status !== 'live') continue;
      await store.setStatus(tx, r.version, { status: 'retired', retired_at: now });
      retired.push(r.version);
    }
    await store.setStatus(tx, version, {
      status: 'live',
      approved_by: who.operatorId,
      live_at: now,
    });
    await deps.audit.append(tx, [
      audited('risk.rule_set.promoted', who, version, {
        requested_by: row.promotion_requested_by,
        retired: retired,
      }),
    ]);
  });
  deps.rules.invalidate();
}

export interface ShadowDiff {
  version: number;
  /** Decisions the shadow version took beside the live one in the window. */
  compared: number;
  /** Of those, where the two decided differently. */
  differing: number;
  /** live → shadow decision pairs and how often each happened. */
  changes: { live: string; shadow: string; count: number }[];
  /** The most recent differing decisions, with the rules each version fired. */
  examples: {
    decided_at: string;
    kind: string;
    amount: string;
    live: { decision: string; rules_fired: string[] };
    shadow: { decision: string | null; rules_fired: string[] | null };
  }[];
}

/** How the shadow version differs from the live one over the decisions since `from`. */
export async function diff(deps: VersionsDeps, version: number, from: Date): Promise<ShadowDiff> {
  const row = await store.ruleSet(deps.sql, version);
  if (!row) throw riskError('risk_rule_set_not_found');
  const s = await store.shadowComparison(deps.sql, version, from, 20);
  return {
    version,
    compared: Number(s.compared),
    differing: s.changes.reduce((n, c) => n + Number(c.count), 0),
    changes: s.changes.map((c) => ({ live: c.live, shadow: c.shadow, count: Number(c.count) })),
    examples: s.examples.map((e) => ({
      decided_at: e.decided_at.toISOString(),
      kind: e.kind,
      amount: e.amount_minor.toString(),
      live: { decision: e.decision, rules_fired: e.rules_fired },
      shadow: { decision: e.shadow_decision, rules_fired: e.shadow_rules_fired },
    })),
  };
}
