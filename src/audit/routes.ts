import type { preHandlerAsyncHookHandler } from 'fastify';
import { closed, Type, type App } from '../http/index.ts';
import { LIST_ENTRIES_MAX } from './audit.ts';
import type { AuditEntry } from './chain.ts';
import type { Audit } from './service.ts';
import type { VerifyResult } from './integrity.ts';

// Operator routes over the audit trail: entries about a subject or by an actor, paged with
// an after_seq cursor, and `audit verify` run from the console. Who may call them is the
// identity module's business: its operator preHandler arrives as a parameter, so audit
// depends on no other module.

type AuditAccess = 'audit.read' | 'audit.verify';

interface AuditRoutesDeps {
  audit: Pick<Audit, 'listEntries' | 'verify'>;
  /** A signed-in operator allowed to read the trail / run verify (identity's preHandler). */
  requireOperator(access: AuditAccess): preHandlerAsyncHookHandler;
}

const AUDIT_PAGE_ENTRIES_DEFAULT = 100;
/** One console page: far below LIST_ENTRIES_MAX, so paging is cheap and responses small. */
const AUDIT_PAGE_ENTRIES_MAX = Math.min(500, LIST_ENTRIES_MAX);

const text = (max: number) => Type.Optional(Type.String({ minLength: 1, maxLength: max }));

const entriesQuery = closed({
  subject_type: text(64),
  subject_id: text(128),
  actor_type: text(32),
  actor_id: text(128),
  action: text(128),
  after_seq: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_ENTRIES_MAX })),
});

function detailOf(detail: string): unknown {
  try {
    return JSON.parse(detail) as unknown;
  } catch {
    return detail;
  }
}

function entryView(e: AuditEntry) {
  return {
    seq: e.seq.toString(),
    at: e.at.toISOString(),
    actor: { type: e.actorType, id: e.actorId },
    action: e.action,
    subject: e.subjectType ? { type: e.subjectType, id: e.subjectId } : null,
    source_ip: e.sourceIp,
    request_id: e.requestId,
    outcome: e.outcome,
    detail: detailOf(e.detail),
    hash: e.hash.toString('hex'),
  };
}

function verifyView(r: VerifyResult) {
  return r.ok
    ? {
        ok: true,
        entries: r.entries.toString(),
        checkpoints: r.checkpoints,
        exported_checkpoints: r.exportedCheckpoints,
        uncovered_entries: r.uncoveredEntries.toString(),
        // Where the file lives is the host's business; the console needs only what it says.
        anchor: r.anchor && {
          seq: r.anchor.seq.toString(),
          lines: r.anchor.lines,
          unreadable_lines: r.anchor.unreadableLines,
          behind_entries: r.anchor.behindEntries.toString(),
        },
      }
    : { ok: false, seq: r.seq.toString(), problem: r.problem };
}

export function auditRoutes(app: App, deps: AuditRoutesDeps): void {
  app.get(
    '/v1/operator/audit/entries',
    {
      schema: {
        summary: 'Audit entries about a subject or by an actor, oldest first (operators)',
        querystring: entriesQuery,
      },
      preHandler: deps.requireOperator('audit.read'),
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? AUDIT_PAGE_ENTRIES_DEFAULT;
      const entries = await deps.audit.listEntries({
        subjectType: q.subject_type,
        subjectId: q.subject_id,
        actorType: q.actor_type,
        actorId: q.actor_id,
        action: q.action,
        afterSeq: q.after_seq === undefined ? undefined : BigInt(q.after_seq),
        limit,
      });
      const last = entries[entries.length - 1];
      return {
        data: entries.map(entryView),
        // A full page may have more after it; the caller asks again with this cursor.
        next_after_seq: entries.length === limit && last ? last.seq.toString() : null,
      };
    },
  );
  app.post(
    '/v1/operator/audit/verify',
    {
      schema: {
        summary: 'Recompute the audit chain and check every checkpoint (operators)',
        body: closed({}),
      },
      preHandler: deps.requireOperator('audit.verify'),
    },
    async () => verifyView(await deps.audit.verify()),
  );
}
