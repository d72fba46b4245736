import type { FastifyInstance } from 'fastify';
import type { SubscriptionInput } from './catalog.ts';
import {
  addProduct,
  createSubscription,
  getSubscription,
  listSubscriptions,
  retireProduct,
  updateProduct,
  updateSubscription,
} from './catalog.ts';
import {
  type ContractInput,
  createContract,
  deleteContract,
  endContract,
  getContract,
  listContracts,
} from './contracts.ts';
import { type CorrectionInput, correctLine } from './corrections.ts';
import { dryRun } from './dry-run.ts';
import { exportRun } from './export.ts';
import { marginView } from './margin.ts';
import type { ProductInput } from './product.ts';
import { getBillingProfile, setBillingProfile } from './profile.ts';
import {
  deleteRegistration,
  listContractRegistrations,
  type RegistrationInput,
  registerManualConsumption,
} from './registrations.ts';
import { getRun, lineFeed, listCustomerLines, listSellerRuns, startRun } from './runs.ts';
import * as schema from './schema.ts';

type IdParams = { Params: { id: string } };
type Range = { Querystring: { from: string; to: string } };
type PageQuery = { limit?: number; cursor?: string };

const units = '/api/v1/business-units';
const billing = '/api/v1/billing';

function read() {
  return { access: 'privilege' as const, privilege: 'billing.read' };
}

function manage() {
  return { access: 'privilege' as const, privilege: 'billing.manage' };
}

/**
 * Billing routes: `billing.read` to see, `billing.manage` to change. Unit-scoped routes act
 * on a seller (or customer) unit; resource routes find the resource's unit and ask the
 * access module about it, so other subtrees stay invisible (404).
 */
export function registerBillingRoutes(app: FastifyInstance, _server?: unknown): void {
  app.get<IdParams>(
    `${units}/:id/billing/profile`,
    { config: read(), schema: schema.getProfileSchema },
    async (request) => getBillingProfile(request.ctx, request.params.id),
  );
  app.put<IdParams & { Body: { billingDay: number } }>(
    `${units}/:id/billing/profile`,
    { config: manage(), schema: schema.putProfileSchema },
    async (request) => setBillingProfile(request.ctx, request.params.id, request.body),
  );

  app.get<IdParams & { Querystring: { inherited?: boolean } & PageQuery }>(
    `${units}/:id/billing/subscriptions`,
    { config: read(), schema: schema.listSubscriptionsSchema },
    async (request) =>
      listSubscriptions(request.ctx, request.params.id, {
        ...request.query,
        inherited: request.query.inherited === true,
      }),
  );
  app.post<IdParams & { Body: SubscriptionInput }>(
    `${units}/:id/billing/subscriptions`,
    { config: manage(), schema: schema.createSubscriptionSchema },
    async (request, reply) =>
      reply.status(201).send(await createSubscription(request.ctx, request.params.id, request.body)),
  );
  app.get<IdParams>(
    `${billing}/subscriptions/:id`,
    { config: read(), schema: schema.getSubscriptionSchema },
    async (request) => getSubscription(request.ctx, request.params.id),
  );
  app.patch<IdParams & { Body: { name?: string; description?: string } }>(
    `${billing}/subscriptions/:id`,
    { config: manage(), schema: schema.updateSubscriptionSchema },
    async (request) => updateSubscription(request.ctx, request.params.id, request.body),
  );
  app.post<IdParams & { Body: ProductInput }>(
    `${billing}/subscriptions/:id/products`,
    { config: manage(), schema: schema.addProductSchema },
    async (request, reply) => reply.status(201).send(await addProduct(request.ctx, request.params.id, request.body)),
  );
  app.patch<IdParams & { Body: Partial<ProductInput> }>(
    `${billing}/products/:id`,
    { config: manage(), schema: schema.updateProductSchema },
    async (request) => updateProduct(request.ctx, request.params.id, request.body),
  );
  app.post<IdParams>(
    `${billing}/products/:id/retire`,
    { config: manage(), schema: schema.retireProductSchema },
    async (request) => retireProduct(request.ctx, request.params.id),
  );

  app.get<IdParams & { Querystring: PageQuery }>(
    `${units}/:id/billing/contracts`,
    { config: read(), schema: schema.listContractsSchema },
    async (request) => listContracts(request.ctx, request.params.id, request.query),
  );
  app.post<{ Body: ContractInput }>(
    `${billing}/contracts`,
    { config: manage(), schema: schema.createContractSchema },
    async (request, reply) => reply.status(201).send(await createContract(request.ctx, request.body)),
  );
  app.get<IdParams>(`${billing}/contracts/:id`, { config: read(), schema: schema.getContractSchema }, async (request) =>
    getContract(request.ctx, request.params.id),
  );
  app.post<IdParams & { Body: { endDate: string } }>(
    `${billing}/contracts/:id/end`,
    { config: manage(), schema: schema.endContractSchema },
    async (request) => endContract(request.ctx, request.params.id, request.body.endDate),
  );
  app.delete<IdParams>(
    `${billing}/contracts/:id`,
    { config: manage(), schema: schema.deleteContractSchema },
    async (request, reply) => {
      await deleteContract(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );
  app.get<IdParams>(
    `${billing}/contracts/:id/registrations`,
    { config: read(), schema: schema.listRegistrationsSchema },
    async (request) => listContractRegistrations(request.ctx, request.params.id),
  );
  app.post<IdParams & { Body: RegistrationInput }>(
    `${billing}/contracts/:id/registrations`,
    { config: manage(), schema: schema.createRegistrationSchema },
    async (request, reply) =>
      reply.status(201).send(await registerManualConsumption(request.ctx, request.params.id, request.body)),
  );
  app.delete<IdParams>(
    `${billing}/registrations/:id`,
    { config: manage(), schema: schema.deleteRegistrationSchema },
    async (request, reply) => {
      await deleteRegistration(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<IdParams & { Querystring: PageQuery }>(
    `${units}/:id/billing/runs`,
    { config: read(), schema: schema.listRunsSchema },
    async (request) => listSellerRuns(request.ctx, request.params.id, request.query),
  );
  app.post<IdParams & { Body: { runDate?: string } | null }>(
    `${units}/:id/billing/runs`,
    { config: manage(), schema: schema.startRunSchema },
    async (request, reply) =>
      reply.status(201).send(await startRun(request.ctx, request.params.id, request.body ?? {})),
  );
  app.get<IdParams>(`${billing}/runs/:id`, { config: read(), schema: schema.getRunSchema }, async (request) =>
    getRun(request.ctx, request.params.id),
  );
  app.get<IdParams & { Querystring: { format?: 'csv' | 'json' } }>(
    `${billing}/runs/:id/export`,
    { config: read(), schema: schema.exportRunSchema },
    async (request, reply) => {
      const file = await exportRun(request.ctx, request.params.id, request.query.format ?? 'csv');
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .send(file.body);
    },
  );
  app.get<IdParams & { Querystring: { runDate?: string } }>(
    `${units}/:id/billing/dry-run`,
    { config: read(), schema: schema.dryRunSchema },
    async (request) => dryRun(request.ctx, request.params.id, request.query),
  );
  app.get<IdParams & Range>(
    `${units}/:id/billing/lines`,
    { config: read(), schema: schema.customerLinesSchema },
    async (request) => listCustomerLines(request.ctx, request.params.id, request.query),
  );
  app.get<IdParams & { Querystring: { after?: number; limit?: number } }>(
    `${units}/:id/billing/feed`,
    { config: read(), schema: schema.feedSchema },
    async (request) => lineFeed(request.ctx, request.params.id, request.query),
  );
  app.get<IdParams & Range>(
    `${units}/:id/billing/margin`,
    { config: read(), schema: schema.marginSchema },
    async (request) => marginView(request.ctx, request.params.id, request.query),
  );
  app.post<IdParams & { Body: CorrectionInput }>(
    `${billing}/lines/:id/corrections`,
    { config: manage(), schema: schema.correctLineSchema },
    async (request, reply) => reply.status(201).send(await correctLine(request.ctx, request.params.id, request.body)),
  );
}
