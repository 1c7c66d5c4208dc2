import { performance } from 'node:perf_hooks';
import type { Db } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { DEFAULT_RULE_SET } from './default-rules.ts';
import { compileRuleSet, type CompiledRuleSet } from './engine.ts';
import * as store from './store.ts';

// The rule sets a process decides with: the live version and the one in shadow, if any. A
// process reloads which versions are active when its copy is older than rulesRefreshMs, so a
// promotion reaches every process within that time; compiled versions are kept by number
// (a version's rules never change once drafted).

interface ActiveRuleSets {
  live: CompiledRuleSet;
  shadow: CompiledRuleSet | null;
}

export class RuleBook {
  private active: ActiveRuleSets | null = null;
  private loadedAtMs = 0;
  private readonly compiled = new Map<number, CompiledRuleSet>();
  private loading: Promise<ActiveRuleSets> | null = null;

  constructor(
    private readonly refreshMs: number,
    private readonly now: () => Date,
  ) {}

  async current(db: Db): Promise<ActiveRuleSets> {
    const fresh = performance.now() - this.loadedAtMs < this.refreshMs;
    if (this.active && fresh) return this.active;
    this.loading ??= this.load(db).finally(() => (this.loading = null));
    return this.loading;
  }

  /** Forgets the active versions: the next decision asks the database again. */
  invalidate(): void {
    this.active = null;
  }

  compile(version: number, rules: unknown): CompiledRuleSet {
    let c = this.compiled.get(version);
    if (!c) {
      c = compileRuleSet(version, rules);
      this.compiled.set(version, c);
    }
    return c;
  }

  private async load(db: Db): Promise<ActiveRuleSets> {
    let rows = await store.activeRuleSets(db);
    if (!rows.some((r) => r.status === 'live')) {
      await store.seedRuleSet(db, DEFAULT_RULE_SET, this.now());
      rows = await store.activeRuleSets(db);
    }
    const live = rows.find((r) => r.status === 'live');
    assert(live, 'a live rule set exists once the default is seeded');
    const shadow = rows.find((r) => r.status === 'shadow');
    this.active = {
      live: this.compile(live.version, live.rules),
      shadow: shadow ? this.compile(shadow.version, shadow.rules) : null,
    };
    this.loadedAtMs = performance.now();
    return this.active;
  }
}
