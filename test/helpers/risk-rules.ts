import type { TestPlatform } from './platform.ts';

/** Rules as analysts write them (risk/engine.ts validates them at the draft). */
type Rules = ReadonlyArray<Record<string, unknown>>;

// A rule set made live the way analysts do it: drafted by one operator, promotion asked by
// them and approved by another. Tests of a decision path install the rules they exercise.

export async function promoteRules(
  p: Pick<TestPlatform, 'modules'>,
  rules: Rules,
): Promise<number> {
  const v = p.modules.risk.versions;
  const { version } = await v.draft({ operatorId: 'analyst' }, { rules: { rules }, note: 'test' });
  await v.requestPromotion({ operatorId: 'analyst' }, version);
  await v.approvePromotion({ operatorId: 'approver' }, version);
  return version;
}
