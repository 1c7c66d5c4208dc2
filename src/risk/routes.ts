import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, sourceOf, Type, type App } from '../http/index.ts';
import type { Risk } from './risk.ts';

// Operator routes of the risk engine under /v1/operator/risk: rule-set versions (list,
// draft, shadow, diff, ask for promotion, approve) and decision counts. Who may call each is
// identity's business (OPERATOR_ACCESS): its preHandler and the signed-in operator arrive
// as parameters, so risk depends on no other module.

type RiskAccess = 'risk.read' | 'risk.rules.draft' | 'risk.rules.approve';

interface RiskRoutesDeps {
  risk: Pick<Risk, 'versions' | 'countDecisions'>;
  /** Identity's operator sessions: the preHandler for an action, and who is signed in. */
  operators: {
    requireOperator(access: RiskAccess): preHandlerAsyncHookHandler;
    operatorOf(req: FastifyRequest): { operatorId: string };
  };
}

/** How far back a diff or a count may look: the decisions of the last week. */
const RISK_WINDOW_SECONDS_MAX = 7 * 86_400;
const RULE_SET_NOTE_CHARS_MAX = 500;

const versionParams = closed({ version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) });
const windowQuery = closed({
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: RISK_WINDOW_SECONDS_MAX })),
});

export function riskRoutes(app: App, deps: RiskRoutesDeps): void {
  const who = (req: FastifyRequest) => ({
    operatorId: deps.operators.operatorOf(req).operatorId,
    source: sourceOf(req),
  });
  app.get(
    '/v1/operator/risk/rule_sets',
    {
      schema: { summary: 'Rule-set versions, newest first (operators)' },
      preHandler: deps.operators.requireOperator('risk.read'),
    },
    async () => ({ data: await deps.risk.versions.list() }),
  );
  app.post(
    '/v1/operator/risk/rule_sets',
    {
      schema: {
        summary: 'Draft a new rule-set version (risk analysts)',
        description:
          'The rules are checked before they are stored: only named signals, known reason ' +
          'codes and a small set of JSON Logic operators; a problem answers 400 ' +
          '`risk_rule_set_invalid` naming the rule.',
        body: closed({
          rules: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 200 }),
          note: freeText(RULE_SET_NOTE_CHARS_MAX),
        }),
      },
      preHandler: deps.operators.requireOperator('risk.rules.draft'),
    },
    async (req, reply) => {
      const body = req.body as { rules: unknown[]; note: string };
      const view = await deps.risk.versions.draft(who(req), {
        rules: { rules: body.rules },
        note: body.note,
      });
      return reply.status(201).send(view);
    },
  );
  versionSteps(app, deps, who);
  readRoutes(app, deps);
}

type Who = (req: FastifyRequest) => { operatorId: string; source: ReturnType<typeof sourceOf> };

/** The steps of a version's life: shadow, ask for promotion, approve. */
function versionSteps(app: App, deps: RiskRoutesDeps, who: Who): void {
  const step = (
    path: string,
    summary: string,
    access: RiskAccess,
    run: (req: FastifyRequest, version: number) => Promise<void>,
  ) =>
    app.post(
      `/v1/operator/risk/rule_sets/:version/${path}`,
      {
        schema: { summary, params: versionParams, body: closed({}) },
        preHandler: deps.operators.requireOperator(access),
      },
      async (req) => {
        const version = (req.params as { version: number }).version;
        await run(req, version);
        return { version, done: path };
      },
    );
  step('shadow', 'Run a draft in shadow beside the live version', 'risk.rules.draft', (r, v) =>
    deps.risk.versions.shadow(who(r), v),
  );
  step('request_promotion', 'Ask for a version to go live', 'risk.rules.draft', (r, v) =>
    deps.risk.versions.requestPromotion(who(r), v),
  );
  step('approve', 'Approve a promotion (another operator)', 'risk.rules.approve', (r, v) =>
    deps.risk.versions.approvePromotion(who(r), v),
  );
}

function readRoutes(app: App, deps: RiskRoutesDeps): void {
  app.get(
    '/v1/operator/risk/rule_sets/:version/diff',
    {
      schema: {
        summary: 'How a shadow version decided beside the live one over recent decisions',
        params: versionParams,
        querystring: windowQuery,
      },
      preHandler: deps.operators.requireOperator('risk.read'),
    },
    async (req) => {
      const { version } = req.params as { version: number };
      const seconds = (req.query as { seconds?: number }).seconds ?? 86_400;
      return deps.risk.versions.diff(version, new Date(Date.now() - seconds * 1000));
    },
  );
  app.get(
    '/v1/operator/risk/decisions/counts',
    {
      schema: { summary: 'Risk decisions by outcome and reason', querystring: windowQuery },
      preHandler: deps.operators.requireOperator('risk.read'),
    },
    async (req) => {
      const seconds = (req.query as { seconds?: number }).seconds ?? 3600;
      const to = new Date();
      return { data: await deps.risk.countDecisions(new Date(to.getTime() - seconds * 1000), to) };
    },
  );
}
