import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../platform/index.ts';
import type { CertificateManager, NextCertificate } from './certificates.ts';
import type { ServerContext } from './context.ts';
import type { TlsMaterial } from './tls.ts';

const certificateSchema = {
  type: ['object', 'null'],
  properties: {
    fingerprint256: { type: 'string', description: 'SHA-256 of the DER certificate, colon-separated hex' },
    validTo: { type: 'string', format: 'date-time' },
    selfSigned: { type: 'boolean' },
    activatable: { type: 'boolean', description: 'The server holds the key and can switch to it' },
  },
} as const;

const stateSchema = {
  type: 'object',
  properties: { current: certificateSchema, next: certificateSchema },
  required: ['current', 'next'],
} as const;

function describeCurrent(tls: TlsMaterial | undefined) {
  return tls
    ? { fingerprint256: tls.fingerprint256, validTo: tls.validTo.toISOString(), selfSigned: tls.selfSigned }
    : null;
}

function describeNext(next: NextCertificate | undefined) {
  return next
    ? { fingerprint256: next.fingerprint256, validTo: next.validTo.toISOString(), activatable: next.activatable }
    : null;
}

/** The installation's root unit (recorded at bootstrap): the server itself is managed from there. */
async function requireServerManager(request: FastifyRequest, ctx: ServerContext): Promise<string> {
  const recorded = await ctx.database.kysely
    .selectFrom('server_state')
    .select('value')
    .where('key', '=', 'root_unit_id')
    .executeTakeFirst();
  const rootId = recorded?.value;
  if (!rootId) throw new NotFoundError('Server certificate');
  await request.ctx.access.require('server.manage', rootId, 'Server certificate');
  return rootId;
}

/**
 * Certificate rotation without losing pinned agents: read (public, the fingerprints are no
 * secret), announce the next certificate, activate it, withdraw it.
 */
export function registerCertificateRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  certificates: CertificateManager,
): void {
  const state = () => ({ current: describeCurrent(certificates.current()), next: describeNext(certificates.next()) });

  app.get(
    '/api/v1/server/certificate',
    {
      config: { access: 'public' },
      schema: {
        tags: ['server'],
        summary: 'The served certificate and its announced successor (agents pin both)',
        response: { 200: stateSchema },
      },
    },
    async () => state(),
  );

  app.put(
    '/api/v1/server/certificate/next',
    {
      config: { access: 'privilege', privilege: 'server.manage' },
      schema: {
        tags: ['server'],
        summary: 'Announce the next certificate (PEM with its key, or a generated self-signed one)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            certificatePem: { type: 'string', minLength: 1, maxLength: 65536 },
            privateKeyPem: { type: 'string', minLength: 1, maxLength: 65536 },
            generate: { type: 'boolean' },
          },
        },
        response: { 200: stateSchema },
      },
    },
    async (request) => {
      const rootId = await requireServerManager(request, ctx);
      const body = request.body as { certificatePem?: string; privateKeyPem?: string; generate?: boolean };
      const next = await certificates.announce(body);
      await request.ctx.audit.record({
        action: 'server.certificate.announce',
        buId: rootId,
        resourceType: 'server_certificate',
        resourceId: next.fingerprint256,
        after: { fingerprint256: next.fingerprint256, validTo: next.validTo.toISOString() },
      });
      return state();
    },
  );

  app.delete(
    '/api/v1/server/certificate/next',
    {
      config: { access: 'privilege', privilege: 'server.manage' },
      schema: { tags: ['server'], summary: 'Withdraw the announced certificate', response: { 200: stateSchema } },
    },
    async (request) => {
      const rootId = await requireServerManager(request, ctx);
      const before = certificates.next();
      certificates.withdraw();
      await request.ctx.audit.record({
        action: 'server.certificate.withdraw',
        buId: rootId,
        resourceType: 'server_certificate',
        resourceId: before?.fingerprint256 ?? null,
        before: before ? { fingerprint256: before.fingerprint256 } : null,
      });
      return state();
    },
  );

  app.post(
    '/api/v1/server/certificate/activate',
    {
      config: { access: 'privilege', privilege: 'server.manage' },
      schema: {
        tags: ['server'],
        summary: 'Serve the announced certificate from now on (open connections keep the old one)',
        response: { 200: stateSchema },
      },
    },
    async (request) => {
      const rootId = await requireServerManager(request, ctx);
      const before = certificates.current();
      const served = await certificates.activate();
      await request.ctx.audit.record({
        action: 'server.certificate.activate',
        buId: rootId,
        resourceType: 'server_certificate',
        resourceId: served.fingerprint256,
        before: before ? { fingerprint256: before.fingerprint256 } : null,
        after: { fingerprint256: served.fingerprint256 },
      });
      return state();
    },
  );
}
