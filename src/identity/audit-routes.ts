import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type AuditQuery, exportAudit, listAudit, verifyAudit } from './audit-log.ts';
import type { IdentityRuntime } from './runtime.ts';
import { idSchema, pageOf, pagingQuery } from './schema.ts';

const filterProperties = {
  buId: idSchema,
  action: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-z_]+(\\.[a-z_]+)*(\\.\\*)?$' },
  actorId: idSchema,
  resourceType: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-z_]+$' },
  resourceId: idSchema,
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
} as const;

const entrySchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    actor: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['user', 'apikey', 'system'] },
        userId: { type: ['string', 'null'] },
        apiKeyId: { type: ['string', 'null'] },
        name: { type: 'string' },
      },
    },
    action: { type: 'string' },
    buId: { type: ['string', 'null'] },
    resource: { type: 'object', properties: { type: { type: 'string' }, id: { type: ['string', 'null'] } } },
    before: { type: ['object', 'null'], additionalProperties: true },
    after: { type: ['object', 'null'], additionalProperties: true },
    address: { type: 'string' },
    requestId: { type: 'string' },
    hash: { type: 'string' },
    prevHash: { type: 'string' },
  },
} as const;

/** The append-only audit log: query, export and chain verification (there is no route that changes entries). */
export function registerAuditRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.get(
    '/api/v1/audit',
    {
      config: { access: 'privilege', privilege: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries of a unit and its subtree, newest first, with filters',
        description: 'action takes an exact action or a prefix such as user.*; to is exclusive.',
        querystring: {
          type: 'object',
          properties: { ...filterProperties, ...pagingQuery },
          required: ['buId'],
          additionalProperties: false,
        },
        response: { 200: pageOf(entrySchema) },
      },
    },
    async (request) => listAudit(rt, request.ctx, request.query as AuditQuery),
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: { access: 'privilege', privilege: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Export matching audit entries as CSV or JSON (newest first)',
        querystring: {
          type: 'object',
          properties: { ...filterProperties, format: { type: 'string', enum: ['csv', 'json'], default: 'json' } },
          required: ['buId'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query as AuditQuery & { format: 'csv' | 'json' };
      const chunks = await exportAudit(rt, request.ctx, query, format);
      const stamp = new Date(rt.clock.now()).toISOString().replace(/[:.]/g, '-');
      reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="coffer-audit-${stamp}.${format}"`);
      return reply.send(Readable.from(chunks));
    },
  );

  app.get(
    '/api/v1/audit/verify',
    {
      config: { access: 'privilege', privilege: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain of the whole log and report the first broken link',
        description: 'Only for principals whose scope is a root unit (the chain spans every tenant).',
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              checked: { type: 'integer' },
              headSeq: { type: 'integer' },
              firstBroken: {
                anyOf: [
                  {
                    type: 'object',
                    properties: {
                      seq: { type: 'integer' },
                      id: { type: ['string', 'null'] },
                      reason: {
                        type: 'string',
                        enum: ['hash_mismatch', 'prev_hash_mismatch', 'missing_entry', 'head_mismatch'],
                      },
                    },
                  },
                  { type: 'null' },
                ],
              },
            },
            required: ['ok', 'checked', 'headSeq', 'firstBroken'],
          },
        },
      },
    },
    async (request) => verifyAudit(rt, request.ctx),
  );
}
