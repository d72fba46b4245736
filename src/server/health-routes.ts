import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { isSchemaCurrent } from '../platform/index.ts';
import type { ServerContext } from './context.ts';
import { buildProblem, problemSchema } from './problem.ts';

const healthSchema = {
  type: 'object',
  properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
  required: ['status'],
} as const;

/** Liveness and readiness probes for load balancers and orchestrators. */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: healthSchema } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable and schema current',
        response: { 200: healthSchema, 503: problemSchema },
      },
    },
    async (request, reply) => {
      const checks: Record<string, string> = {};
      try {
        await sql`select 1`.execute(ctx.database.kysely);
        checks.database = 'ok';
        checks.migrations = (await isSchemaCurrent(ctx.database.kysely)) ? 'ok' : 'pending';
      } catch {
        checks.database = 'unreachable';
      }
      const ready = Object.values(checks).every((v) => v === 'ok');
      if (ready) return { status: 'ready', checks };
      return reply
        .status(503)
        .type('application/problem+json')
        .send(
          buildProblem('not_ready', 503, `Not ready: ${JSON.stringify(checks)}`, {
            requestId: String(request.id),
            checks,
          }),
        );
    },
  );
}
