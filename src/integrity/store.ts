import type { Db, Tx } from '../db/index.ts';
import type { Files } from './manifest.ts';

// The integrity module's only SQL: manifests (insert-only, one per root) and approvals.

export interface ApprovedRow {
  root_hash: Buffer;
  files: Files;
  approved_at: Date;
  actor_type: string;
  reason: string;
}

export async function insertManifest(
  tx: Tx,
  m: { root: Buffer; observedAt: Date; version: string; files: Files },
): Promise<void> {
  await tx`
    insert into integrity_manifests (root_hash, observed_at, version, file_count, files)
    values (${m.root}, ${m.observedAt}, ${m.version}, ${Object.keys(m.files).length},
      ${tx.json(m.files as Record<string, string>)})
    on conflict (root_hash) do nothing`;
}

export async function insertApproval(
  tx: Tx,
  a: { root: Buffer; at: Date; actorType: string; actorId: string | null; reason: string },
): Promise<void> {
  await tx`
    insert into integrity_approvals (root_hash, approved_at, actor_type, actor_id, reason)
    values (${a.root}, ${a.at}, ${a.actorType}, ${a.actorId}, ${a.reason})`;
}

/** The newest approval and its manifest; null before the first. */
export async function newestApproved(db: Db): Promise<ApprovedRow | null> {
  const [row] = await db<ApprovedRow[]>`
    select a.root_hash, m.files, a.approved_at, a.actor_type, a.reason
    from integrity_approvals a join integrity_manifests m using (root_hash)
    order by a.id desc limit 1`;
  return row ?? null;
}

/** Serialises approvals and first-start baselines across processes. */
export async function lockApprovals(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended('integrity:approvals', 0))`;
}
