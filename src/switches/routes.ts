import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, idParams, oneOf, Type, type App } from '../http/index.ts';
import { OPERATIONS, SCOPE_TYPES } from './switch.ts';
import { REASON_CHARS_MAX, REASON_CHARS_MIN, type Switches } from './service.ts';

// Operator routes over kill switches: list them, turn one on, request a lift, approve one.
// Who may call them is the identity module's business: its operator preHandler and session
// reader arrive as parameters, so switches depends on no module above it.

type SwitchesAccess = 'switches.read' | 'switches.change';

interface SwitchesRoutesDeps {
  switches: Switches;
  /** A signed-in operator whose role may read / change switches (identity's preHandler). */
  requireOperator(access: SwitchesAccess): preHandlerAsyncHookHandler;
  /** The operator that preHandler resolved. */
  operatorOf(req: FastifyRequest): { operatorId: string };
}

const reason = freeText(REASON_CHARS_MAX, REASON_CHARS_MIN);
const turnOn = closed({
  operation: oneOf(OPERATIONS),
  scope: Type.Optional(
    closed({
      type: oneOf(SCOPE_TYPES),
      value: Type.Optional(freeText(200, 1)),
    }),
  ),
  reason,
  incident_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
});
const SUSPENDED =
  'While it is on, requests it covers are refused with 503 service_suspended, whose ' +
  '`suspended` and `scope` fields name what is suspended.';

export function switchesRoutes(app: App, deps: SwitchesRoutesDeps): void {
  const actor = (req: FastifyRequest) => ({
    type: 'operator' as const,
    id: deps.operatorOf(req).operatorId,
  });
  // The role is checked before the body, so an operator who may not change switches is told
  // only that, whatever they sent.
  const change = { preValidation: deps.requireOperator('switches.change') };
  app.get(
    '/v1/operator/switches',
    {
      schema: { summary: 'Kill switches: those on now, and recently lifted ones (operators)' },
      preHandler: deps.requireOperator('switches.read'),
    },
    async () => deps.switches.list(),
  );
  app.post(
    '/v1/operator/switches',
    {
      ...change,
      schema: {
        summary: 'Turn a kill switch on (security admins)',
        description: SUSPENDED,
        body: turnOn,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const view = await deps.switches.turnOn(
        {
          operation: b.operation,
          scope: b.scope ?? { type: 'all' },
          reason: b.reason,
          incidentId: b.incident_id,
        },
        actor(req),
      );
      return reply.status(201).send(view);
    },
  );
  app.post(
    '/v1/operator/switches/:id/lift_request',
    {
      ...change,
      schema: {
        summary: 'Ask for a kill switch to be lifted; another operator approves (security admins)',
        params: idParams('sw'),
        body: closed({ reason }),
      },
    },
    async (req) => deps.switches.requestLift(req.params.id, req.body.reason, actor(req)),
  );
  app.post(
    '/v1/operator/switches/:id/lift_approval',
    {
      ...change,
      schema: {
        summary: 'Approve lifting a kill switch: never the operator who asked (security admins)',
        params: idParams('sw'),
        body: closed({}),
      },
    },
    async (req) => deps.switches.approveLift(req.params.id, actor(req)),
  );
}
