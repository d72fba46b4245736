import type { FastifyInstance } from 'fastify';
import type { ChildUsageSort } from './children-store.ts';
import * as schema from './schema.ts';
import {
  submitZoneMeasurement,
  unitChildrenUsage,
  unitQuota,
  unitUsage,
  unitUsageHistory,
  usageReconciliation,
} from './service.ts';

type IdParams = { Params: { id: string } };
const units = '/api/v1/business-units';

function privilege(name: string) {
  return { access: 'privilege' as const, privilege: name };
}

/**
 * Consumption routes: per-unit figures, history, children's figures and quota state (`bu.read`), and the
 * operator's reconciliation and zone measurements. Each route calls one service function,
 * which asks the access module first.
 */
export function registerUsageRoutes(app: FastifyInstance, _server?: unknown): void {
  app.get<IdParams & { Querystring: { date?: string } }>(
    `${units}/:id/usage`,
    { config: privilege('bu.read'), schema: schema.unitUsageSchema },
    async (request) => unitUsage(request.ctx, request.params.id, request.query.date),
  );

  app.get<IdParams & { Querystring: { date?: string; sort?: ChildUsageSort; limit?: number; cursor?: string } }>(
    `${units}/:id/usage/children`,
    { config: privilege('bu.read'), schema: schema.unitChildrenUsageSchema },
    async (request) => unitChildrenUsage(request.ctx, request.params.id, request.query),
  );

  app.get<IdParams & { Querystring: { from: string; to: string } }>(
    `${units}/:id/usage/history`,
    { config: privilege('bu.read'), schema: schema.unitUsageHistorySchema },
    async (request) => unitUsageHistory(request.ctx, request.params.id, request.query),
  );

  app.get<IdParams>(
    `${units}/:id/quota`,
    { config: privilege('bu.read'), schema: schema.unitQuotaSchema },
    async (request) => unitQuota(request.ctx, request.params.id),
  );

  app.get<{ Querystring: { date?: string } }>(
    '/api/v1/usage/reconciliation',
    { config: privilege('bu.read'), schema: schema.reconciliationSchema },
    async (request) => usageReconciliation(request.ctx, request.query.date),
  );

  app.post<{ Body: { zone: string; measuredBytes: number; asOf?: string } }>(
    '/api/v1/usage/zone-measurements',
    { config: privilege('settings.update'), schema: schema.zoneMeasurementSchema },
    async (request, reply) => reply.status(201).send(await submitZoneMeasurement(request.ctx, request.body)),
  );
}
