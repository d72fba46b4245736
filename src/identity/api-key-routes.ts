import type { FastifyInstance } from 'fastify';
import { createApiKey, getApiKey, listApiKeys, maxApiKeyDays, revokeApiKey } from './api-keys.ts';
import { explainApiKey } from './explain.ts';
import type { IdentityRuntime } from './runtime.ts';
import {
  apiKeySchema,
  explainQuery,
  explanationSchema,
  idSchema,
  nameSchema,
  pageOf,
  pagingQuery,
  paramsOf,
} from './schema.ts';

const keyParams = paramsOf('apiKeyId');
type KeyParams = { apiKeyId: string };

/** API keys for integrations: scoped to a subtree and a role, shown once, expiring, revocable. */
export function registerApiKeyRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.get(
    '/api/v1/api-keys',
    {
      config: { access: 'privilege', privilege: 'apikey.read' },
      schema: {
        tags: ['api-keys'],
        summary: 'List the API keys scoped to a unit (and by default its subtree)',
        querystring: {
          type: 'object',
          properties: {
            buId: idSchema,
            subtree: { type: 'boolean', default: true },
            userId: idSchema,
            includeRevoked: { type: 'boolean', default: false },
            ...pagingQuery,
          },
          required: ['buId'],
          additionalProperties: false,
        },
        response: { 200: pageOf(apiKeySchema) },
      },
    },
    async (request) => listApiKeys(rt, request.ctx, request.query as Parameters<typeof listApiKeys>[2]),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { access: 'privilege', privilege: 'apikey.create' },
      schema: {
        tags: ['api-keys'],
        summary: "Create an API key for the caller's user; the token is shown once",
        description:
          'The key reaches the subtree of buId (inside the caller\'s own) with roleId, whose privileges the caller must hold. Use it as "Authorization: Bearer <token>".',
        body: {
          type: 'object',
          properties: {
            name: { ...nameSchema, maxLength: 100 },
            buId: idSchema,
            roleId: idSchema,
            expiresAt: { type: 'string', format: 'date-time' },
            expiresInDays: { type: 'integer', minimum: 1, maximum: maxApiKeyDays },
            allowedCidrs: { type: 'array', items: { type: 'string', minLength: 2, maxLength: 50 }, maxItems: 50 },
          },
          required: ['name', 'buId', 'roleId'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { apiKey: apiKeySchema, token: { type: 'string', description: 'Shown once; store it safely' } },
            required: ['apiKey', 'token'],
          },
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiKey(rt, request.ctx, request.body as Parameters<typeof createApiKey>[2])),
  );

  app.get(
    '/api/v1/api-keys/:apiKeyId',
    {
      config: { access: 'privilege', privilege: 'apikey.read' },
      schema: {
        tags: ['api-keys'],
        summary: 'Get an API key (never its secret)',
        params: keyParams,
        response: { 200: apiKeySchema },
      },
    },
    async (request) => getApiKey(rt, request.ctx, (request.params as KeyParams).apiKeyId),
  );

  app.delete(
    '/api/v1/api-keys/:apiKeyId',
    {
      config: { access: 'privilege', privilege: 'apikey.delete' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key (the next request with it fails)',
        params: keyParams,
        response: { 200: apiKeySchema },
      },
    },
    async (request) => revokeApiKey(rt, request.ctx, (request.params as KeyParams).apiKeyId),
  );

  app.get(
    '/api/v1/api-keys/:apiKeyId/explain',
    {
      config: { access: 'privilege', privilege: 'apikey.read' },
      schema: {
        tags: ['api-keys'],
        summary: 'Why an API key may or may not do a privilege on a business unit',
        params: keyParams,
        querystring: explainQuery,
        response: { 200: explanationSchema },
      },
    },
    async (request) =>
      explainApiKey(
        rt,
        request.ctx,
        (request.params as KeyParams).apiKeyId,
        request.query as { privilege: string; buId: string },
      ),
  );
}
