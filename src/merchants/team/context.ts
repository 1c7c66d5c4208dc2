import type { AuditEntryInput, Outcome } from '../../audit/index.ts';
import type { Tx } from '../../db/index.ts';
import { KinkoError } from '../../lib/errors.ts';
import type { MerchantsDeps, Source } from '../merchants.ts';

// What the team's services share: the audit entry every person's action writes (actor: the
// person), and a transaction whose refusal is thrown only after it commits, so a counted
// failed attempt and its audit entry are kept when the caller is refused.

export type TeamDeps = MerchantsDeps;

export function personEntry(
  action: string,
  who: { personId: string | null; merchantId: string | null },
  source: Source | undefined,
  outcome: Outcome,
  detail: Record<string, unknown> = {},
  subject?: { type: string; id: string },
): AuditEntryInput {
  return {
    action,
    actor: who.personId
      ? { type: 'merchant_person', id: who.personId }
      : { type: 'merchant_person' },
    subject: subject ?? (who.merchantId ? { type: 'merchant', id: who.merchantId } : undefined),
    source: source && { ip: source.ip, requestId: source.requestId },
    outcome,
    detail: { ...detail, merchant_id: who.merchantId },
  };
}

/** Runs fn in a transaction; a KinkoError it returns is thrown after the commit. */
export async function commitThenThrow<T>(
  deps: TeamDeps,
  fn: (tx: Tx) => Promise<T | KinkoError>,
): Promise<T> {
  const result = (await deps.sql.begin(fn)) as T | KinkoError;
  if (result instanceof KinkoError) throw result;
  return result;
}

export function at(deps: TeamDeps, plusSeconds = 0): Date {
  return new Date(deps.clock.nowMs() + plusSeconds * 1000);
}
