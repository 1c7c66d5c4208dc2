import { LogicEngine } from 'json-logic-engine';
import { REASONS } from './reasons.ts';
import { SIGNALS, type Signals } from './signals.ts';

// The rule engine, pure: a rule set is data (JSON), each rule a JSON Logic condition over the
// named signals (signals.ts) with a decision and a reason code. Evaluation is ordered rules,
// most severe wins: every rule that applies to the kind is evaluated, all that match are
// "fired" (and recorded), the decision is the most severe among them (block > review >
// step_up > allow), and its reason is the first fired rule of that severity in the set's
// order. We chose this over score-and-threshold because an analyst can read one rule and know
// what it does, and a reviewer sees exactly which rules fired; weights would hide both.

const DECISIONS = ['allow', 'step_up', 'review', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];

const RULE_KINDS = [
  'topup',
  'code_issue',
  'code_payment',
  'store_payment',
  'web_payment',
  'card_link',
  'device_confirm',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** A rule as stored: `when` is JSON Logic; `kinds` empty or absent means every kind. */
interface Rule {
  id: string;
  kinds?: RuleKind[];
  when: unknown;
  decision: Exclude<Decision, 'allow'>;
  reason: string;
  description?: string;
}

export interface RuleSetData {
  rules: Rule[];
}

/** Limits on what a rule set may hold: a rule set is input from an operator. */
const RULES_MAX = 200;
const CONDITION_NODES_MAX = 200;
const RULE_ID = /^[a-z][a-z0-9_]{0,63}$/;

interface Evaluation {
  decision: Decision;
  /** The reason code of the deciding rule; null when allowed. */
  reason: string | null;
  fired: string[];
}

interface CompiledRule {
  id: string;
  kinds: ReadonlySet<string> | null;
  decision: Exclude<Decision, 'allow'>;
  reason: string;
  test: (signals: Signals) => unknown;
}

export interface CompiledRuleSet {
  version: number;
  evaluate(signals: Signals): Evaluation;
}

// Only the operators a condition needs: logic, comparison, arithmetic, membership. Loops
// (map, reduce), throw/try and the like are not accepted in a rule.
const OPERATORS = new Set([
  ...['and', 'or', '!', '!!', 'if', '?:', '==', '===', '!=', '!==', '<', '<=', '>', '>='],
  ...['+', '-', '*', '/', '%', 'min', 'max', 'in', 'var', 'val', 'preserve'],
]);

const engine = new LogicEngine();

export class RuleSetInvalid extends Error {
  constructor(
    readonly ruleId: string | null,
    readonly problem: string,
  ) {
    super(ruleId ? `rule ${ruleId}: ${problem}` : problem);
  }
}

/** Checks a condition's operators and the signals it reads; returns its node count. */
function checkCondition(node: unknown, ruleId: string): number {
  if (node === null || typeof node !== 'object') return 1;
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + checkCondition(x, ruleId), 1);
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new RuleSetInvalid(ruleId, 'an operation has exactly one key');
  const op = keys[0]!;
  if (!OPERATORS.has(op)) throw new RuleSetInvalid(ruleId, `operator "${op}" is not allowed`);
  const arg = (node as Record<string, unknown>)[op];
  if (op === 'var' || op === 'val') {
    const name = Array.isArray(arg) ? arg[0] : arg;
    if (typeof name !== 'string' || !(name in SIGNALS)) {
      throw new RuleSetInvalid(ruleId, `unknown signal ${JSON.stringify(name)}`);
    }
    return 2;
  }
  return 1 + checkCondition(arg, ruleId);
}

function checkRule(rule: Rule, seen: Set<string>): void {
  const id = typeof rule?.id === 'string' ? rule.id : null;
  if (!id || !RULE_ID.test(id)) throw new RuleSetInvalid(id, 'id must match [a-z][a-z0-9_]*');
  if (seen.has(id)) throw new RuleSetInvalid(id, 'ids must be unique');
  seen.add(id);
  if (!DECISIONS.includes(rule.decision) || (rule.decision as string) === 'allow') {
    throw new RuleSetInvalid(id, 'decision must be step_up, review or block');
  }
  if (typeof rule.reason !== 'string' || !(rule.reason in REASONS)) {
    throw new RuleSetInvalid(id, `unknown reason code ${JSON.stringify(rule.reason)}`);
  }
  const kinds = rule.kinds ?? [];
  if (!Array.isArray(kinds) || kinds.some((k) => !RULE_KINDS.includes(k))) {
    throw new RuleSetInvalid(id, `kinds must be among ${RULE_KINDS.join(', ')}`);
  }
  if (checkCondition(rule.when, id) > CONDITION_NODES_MAX) {
    throw new RuleSetInvalid(id, `a condition has at most ${CONDITION_NODES_MAX} nodes`);
  }
}

/** Validates a rule set (as an operator sends it) and compiles its conditions. */
export function compileRuleSet(version: number, data: unknown): CompiledRuleSet {
  const rules = (data as RuleSetData | null)?.rules;
  if (!Array.isArray(rules)) throw new RuleSetInvalid(null, 'a rule set is { "rules": [ … ] }');
  if (rules.length > RULES_MAX) throw new RuleSetInvalid(null, `at most ${RULES_MAX} rules`);
  const seen = new Set<string>();
  const compiled: CompiledRule[] = rules.map((rule: Rule) => {
    checkRule(rule, seen);
    let test: CompiledRule['test'];
    try {
      test = engine.build(rule.when) as CompiledRule['test'];
    } catch {
      throw new RuleSetInvalid(rule.id, 'the condition does not compile');
    }
    const kinds = rule.kinds && rule.kinds.length > 0 ? new Set<string>(rule.kinds) : null;
    return { id: rule.id, kinds, decision: rule.decision, reason: rule.reason, test };
  });
  return { version, evaluate: (signals) => evaluate(compiled, signals) };
}

const severity = (d: Decision) => DECISIONS.indexOf(d);

function evaluate(rules: readonly CompiledRule[], signals: Signals): Evaluation {
  let decision: Decision = 'allow';
  let reason: string | null = null;
  const fired: string[] = [];
  for (const rule of rules) {
    if (rule.kinds && !rule.kinds.has(signals['kind'] as string)) continue;
    // A condition that throws (a division by zero, say) is a rule that did not match: one
    // analyst's mistake must not stop payments.
    let matched: unknown;
    try {
      matched = rule.test(signals);
    } catch {
      matched = false;
    }
    if (!matched) continue;
    fired.push(rule.id);
    if (severity(rule.decision) > severity(decision)) {
      decision = rule.decision;
      reason = rule.reason;
    }
  }
  return { decision, reason, fired };
}

/** The more severe of two decisions. */
export function severer(a: Decision, b: Decision): Decision {
  return severity(a) >= severity(b) ? a : b;
}
