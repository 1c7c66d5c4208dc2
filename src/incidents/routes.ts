import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, idParams, oneOf, orNull, Type, type App } from '../http/index.ts';
import { SEVERITIES, STATUSES, SUMMARY_CHARS_MAX, TITLE_CHARS_MAX } from './incident.ts';
import type { Incidents } from './service.ts';
import type { EventRow, IncidentRow, OpenerRow } from './store.ts';
import { incidentsError } from './errors.ts';
import { scopeRoutes, type ScopeAccess } from './scope-routes.ts';
import { reportRoutes, type ReportAccess } from './report-routes.ts';
import { noticeRoutes } from './notice-routes.ts';
import type { NoticePorts } from './notices.ts';
import { compensationRoutes } from './compensation-routes.ts';
import type { CompensationPorts } from './compensation.ts';

// The operator API over incidents. Who may call what is the identity module's business: its
// operator preHandler and the signed-in operator arrive as parameters, so incidents depends
// on no other module for access.

type IncidentsAccess = 'incidents.read' | 'incidents.manage' | ScopeAccess | ReportAccess;

interface IncidentsRoutesDeps {
  incidents: Incidents;
  requireOperator(access: IncidentsAccess): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
  /** Contacts, freeze links and the outbox, for the notices to customers in scope. */
  notices: NoticePorts;
  /** The ledger and customers' wallet accounts, for compensation. */
  compensation: CompensationPorts;
  /** Operators' names by id (identity), shown beside every operator id the API answers. */
  operatorNames(ids: readonly string[]): Promise<Map<string, string>>;
}

type Names = ReadonlyMap<string, string>;
const nameOf = (names: Names, type: string, id: string | null) =>
  type === 'operator' && id !== null ? (names.get(id) ?? null) : null;

const INCIDENTS_PAGE_MAX = 200;

function incidentJson(r: IncidentRow, names: Names) {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    severity: r.severity,
    status: r.status,
    summary: r.summary,
    owner_id: r.owner_id,
    owner_name: r.owner_id === null ? null : (names.get(r.owner_id) ?? null),
    detector: r.detector,
    detector_key: r.detector_key,
    signals: r.signals,
    opened_at: r.opened_at.toISOString(),
    last_signal_at: r.last_signal_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

function eventJson(e: EventRow, names: Names) {
  return {
    seq: e.seq.toString(),
    at: e.at.toISOString(),
    actor: { type: e.actor_type, id: e.actor_id, name: nameOf(names, e.actor_type, e.actor_id) },
    kind: e.kind,
    detail: e.detail,
  };
}

function openerJson(o: OpenerRow, names: Names) {
  return {
    actor: { type: o.actor_type, id: o.actor_id, name: nameOf(names, o.actor_type, o.actor_id) },
    detector: o.detector,
    signals: o.signals,
    first_at: o.first_at.toISOString(),
  };
}

const listQuery = closed({
  status: Type.Optional(oneOf(STATUSES)),
  before: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: INCIDENTS_PAGE_MAX })),
});
const openBody = closed({
  title: freeText(TITLE_CHARS_MAX, 1),
  severity: oneOf(SEVERITIES),
  summary: freeText(SUMMARY_CHARS_MAX, 1),
});
const statusBody = closed({
  to: oneOf(STATUSES),
  reason: Type.Optional(freeText(SUMMARY_CHARS_MAX, 1)),
});
const ownerBody = closed({ owner_id: orNull(Type.String({ minLength: 1, maxLength: 200 })) });
const noteBody = closed({ text: freeText(SUMMARY_CHARS_MAX, 1) });
const params = idParams('inc');

export function incidentsRoutes(app: App, deps: IncidentsRoutesDeps): void {
  const { incidents } = deps;
  const read = deps.requireOperator('incidents.read');
  const manage = deps.requireOperator('incidents.manage');
  const actorOf = (req: FastifyRequest) => ({
    type: 'operator' as const,
    id: deps.operatorIdOf(req),
  });
  const tx = incidents.deps.sql;
  app.get(
    '/v1/operator/incidents',
    {
      schema: { summary: 'Incidents, newest first (operators)', querystring: listQuery },
      preHandler: read,
    },
    async (req) => {
      const q = req.query;
      const rows = await incidents.list({
        status: q.status ?? null,
        before: q.before ? new Date(q.before) : null,
        limit: q.limit ?? 50,
      });
      const names = await deps.operatorNames(rows.flatMap((r) => r.owner_id ?? []));
      return { data: rows.map((r) => incidentJson(r, names)) };
    },
  );
  app.post(
    '/v1/operator/incidents',
    {
      schema: { summary: 'Open an incident by hand (operators)', body: openBody },
      preHandler: manage,
    },
    async (req, reply) => {
      const b = req.body;
      const id = await tx.begin((t) =>
        incidents.open(t, { kind: 'operator.reported', ...b, actor: actorOf(req) }),
      );
      return reply.status(201).send(await viewJson(deps, id));
    },
  );
  app.get(
    '/v1/operator/incidents/:id',
    { schema: { summary: 'One incident: record, openers, timeline', params }, preHandler: read },
    async (req) => viewJson(deps, req.params.id),
  );
  workRoutes(app, deps);
  scopeRoutes(app, deps);
  reportRoutes(app, deps);
  noticeRoutes(app, deps);
  compensationRoutes(app, deps);
}

/** The changes an incident's team makes: status, owner, notes. */
function workRoutes(app: App, deps: IncidentsRoutesDeps): void {
  const { incidents } = deps;
  const manage = deps.requireOperator('incidents.manage');
  const actorOf = (req: FastifyRequest) => ({
    type: 'operator' as const,
    id: deps.operatorIdOf(req),
  });
  const tx = incidents.deps.sql;
  app.post(
    '/v1/operator/incidents/:id/status',
    {
      schema: {
        summary: 'Move an incident forward (open → contained → resolved → closed)',
        params,
        body: statusBody,
      },
      preHandler: manage,
    },
    async (req) => {
      const { id } = req.params;
      const b = req.body;
      await tx.begin((t) =>
        incidents.changeStatus(t, {
          incidentId: id,
          to: b.to,
          reason: b.reason,
          actor: actorOf(req),
        }),
      );
      return viewJson(deps, id);
    },
  );
  app.post(
    '/v1/operator/incidents/:id/owner',
    {
      schema: { summary: 'Give an incident its owner', params, body: ownerBody },
      preHandler: manage,
    },
    async (req) => {
      const { id } = req.params;
      const ownerId = req.body.owner_id;
      await tx.begin((t) =>
        incidents.assignOwner(t, { incidentId: id, ownerId, actor: actorOf(req) }),
      );
      return viewJson(deps, id);
    },
  );
  app.post(
    '/v1/operator/incidents/:id/notes',
    {
      schema: { summary: 'Add a note to the timeline', params, body: noteBody },
      preHandler: manage,
    },
    async (req) => {
      const { id } = req.params;
      const text = req.body.text;
      await tx.begin((t) =>
        incidents.appendTimeline(t, id, { kind: 'note', summary: text, actor: actorOf(req) }),
      );
      return viewJson(deps, id);
    },
  );
}

async function viewJson(deps: IncidentsRoutesDeps, id: string) {
  const view = await deps.incidents.view(deps.incidents.deps.sql, id);
  if (!view) throw incidentsError('incident_not_found', { param: 'id' });
  const names = await deps.operatorNames([
    ...(view.record.owner_id ? [view.record.owner_id] : []),
    ...view.timeline.flatMap((e) => e.actor_id ?? []),
    ...view.openers.flatMap((o) => o.actor_id ?? []),
    ...view.timeline.flatMap((e) => ownerIds(e)),
  ]);
  return {
    ...incidentJson(view.record, names),
    openers: view.openers.map((o) => openerJson(o, names)),
    timeline: view.timeline.map((e) => eventJson(e, names)),
  };
}

/** The operators an owner change names, so the timeline can show who took it over. */
function ownerIds(e: EventRow): string[] {
  if (e.kind !== 'owner_changed') return [];
  return [e.detail['from'], e.detail['to']].filter((x): x is string => typeof x === 'string');
}
