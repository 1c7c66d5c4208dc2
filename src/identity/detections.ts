import { isUuid } from '../lib/ids.ts';
import { at, commitThenThrow, refuse, type Deps, type Source } from './context.ts';
import * as store from './store.ts';
import { bucketParts, type LoginRealm } from './throttle.ts';

// What operators see of credential stuffing: the source networks throttled now, and the
// detections, which stay open until an operator acknowledges them and are kept afterwards
// as history. A counter row lives one window; a detection outlives it.

interface ThrottledSource {
  realm: LoginRealm;
  source_prefix: string;
  failures: number;
  window_started_at: string;
  next_allowed_at: string | null;
  blocked_until: string | null;
  detected_at: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Sources blocked now or slowed in their current window, most attempts first. */
export async function throttledSources(deps: Deps, limit: number): Promise<ThrottledSource[]> {
  const rows = await store.listThrottledSources(deps.sql, at(deps), {
    windowSeconds: deps.limits.sourceWindowSeconds,
    slowAfter: deps.limits.sourceFailuresSlowAfter,
    limit,
  });
  return rows.map((r) => {
    const { realm, sourcePrefix } = bucketParts(r.source_prefix);
    return {
      realm,
      source_prefix: sourcePrefix,
      failures: r.failures,
      window_started_at: r.window_started_at.toISOString(),
      next_allowed_at: iso(r.next_allowed_at),
      blocked_until: iso(r.blocked_until),
      detected_at: iso(r.detected_at),
    };
  });
}

function detectionJson(d: store.DetectionRow) {
  return {
    id: d.id,
    realm: d.realm,
    source_prefix: d.source_prefix,
    detected_at: d.detected_at.toISOString(),
    attempts_in_window: d.attempts_in_window,
    acknowledged_at: iso(d.acknowledged_at),
    acknowledged_by: d.acknowledged_by,
    acknowledgement_note: d.acknowledgement_note,
  };
}

/** Newest first; `open` only the unacknowledged ones; `before` pages back through history. */
export async function detections(
  deps: Deps,
  q: { open: boolean; limit: number; before: Date | null },
): Promise<ReturnType<typeof detectionJson>[]> {
  return (await store.listDetections(deps.sql, q)).map(detectionJson);
}

/** An operator acknowledges a detection, with a note; audited, and never undone. */
export async function acknowledgeDetection(
  deps: Deps,
  a: { id: string; operatorId: string; note: string },
  source: Source,
): Promise<ReturnType<typeof detectionJson>> {
  return commitThenThrow(deps, async (tx) => {
    const d = isUuid(a.id) ? await store.lockDetection(tx, a.id) : undefined;
    if (!d) return refuse('detection_not_found');
    if (d.acknowledged_at) return refuse('detection_already_acknowledged');
    const now = at(deps);
    await store.acknowledgeDetection(tx, { ...a, now });
    await deps.audit.append(tx, [
      {
        action: 'identity.stuffing.acknowledged',
        actor: { type: 'operator', id: a.operatorId },
        subject: { type: 'source_network', id: d.source_prefix },
        source: { ip: source.ip, requestId: source.requestId },
        outcome: 'success',
        detail: { detection_id: d.id, realm: d.realm, note: a.note },
      },
    ]);
    return detectionJson({
      ...d,
      acknowledged_at: now,
      acknowledged_by: a.operatorId,
      acknowledgement_note: a.note,
    });
  });
}
