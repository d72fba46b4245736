import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../platform/index.ts';
import {
  type BrandPatch,
  brandSummary,
  defaultBrandSummary,
  effectiveLogo,
  getBrand,
  getLogo,
  removeLogo,
  setLogo,
  signInUnitId,
  updateBrand,
} from './branding.ts';
import { logoContentTypes, MAX_LOGO_BYTES } from './logo.ts';
import type { MoveImpactProvider } from './move-impact.ts';
import { moveUnit, previewMove } from './move-service.ts';
import * as schema from './schema.ts';
import {
  createUnit,
  deleteUnit,
  getUnit,
  getUnitPath,
  listUnitChildren,
  listUnitSubtree,
  updateUnitDetails,
} from './service.ts';
import { listSettingDefinitions } from './settings.ts';
import { readSetting, readSettings, setSetting, unsetSetting } from './settings-service.ts';

export interface TenancyRouteOptions {
  /** Identity's answer to "whose reach does this move change?" for move previews. */
  readonly moveImpact?: MoveImpactProvider;
}

type IdParams = { Params: { id: string } };
type PageQuery = { limit?: number; cursor?: string };

const base = '/api/v1/business-units';

function privilege(name: string) {
  return { access: 'privilege' as const, privilege: name };
}

/**
 * Registers the business-unit, settings and branding routes. Every route reads the caller
 * from `request.ctx` (set by the server's authentication hook) and calls one service
 * function, which asks the access module before touching anything.
 */
export async function registerTenancyRoutes(
  app: FastifyInstance,
  _server?: unknown,
  options: TenancyRouteOptions = {},
): Promise<void> {
  // Logos arrive as raw bodies. Declared here (not in a child context) so the server's
  // hooks apply to these routes however late they were added.
  for (const type of logoContentTypes) {
    if (!app.hasContentTypeParser(type)) {
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES }, (_request, body, done) => {
        done(null, body);
      });
    }
  }

  app.post<{ Body: { parentId: string; name: string; code?: string | null } }>(
    base,
    { config: privilege('bu.create'), schema: schema.createUnitSchema },
    async (request, reply) => reply.status(201).send(await createUnit(request.ctx, request.body)),
  );

  app.get<IdParams>(`${base}/:id`, { config: privilege('bu.read'), schema: schema.getUnitSchema }, async (request) =>
    getUnit(request.ctx, request.params.id),
  );

  app.patch<IdParams & { Body: { name?: string; code?: string | null } }>(
    `${base}/:id`,
    { config: privilege('bu.update'), schema: schema.updateUnitSchema },
    async (request) => updateUnitDetails(request.ctx, request.params.id, request.body),
  );

  app.delete<IdParams>(
    `${base}/:id`,
    { config: privilege('bu.delete'), schema: schema.deleteUnitSchema },
    async (request, reply) => {
      await deleteUnit(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<IdParams & { Querystring: PageQuery }>(
    `${base}/:id/children`,
    { config: privilege('bu.read'), schema: schema.listChildrenSchema },
    async (request) => listUnitChildren(request.ctx, request.params.id, request.query),
  );

  app.get<
    IdParams & { Querystring: PageQuery & { name?: string; code?: string; maxDepth?: number; includeTotal?: boolean } }
  >(`${base}/:id/subtree`, { config: privilege('bu.read'), schema: schema.listSubtreeSchema }, async (request) => {
    const { name, ...rest } = request.query;
    return listUnitSubtree(request.ctx, request.params.id, {
      ...rest,
      ...(name !== undefined ? { nameContains: name } : {}),
    });
  });

  app.get<IdParams>(
    `${base}/:id/path`,
    { config: privilege('bu.read'), schema: schema.pathSchema },
    async (request) => ({
      items: await getUnitPath(request.ctx, request.params.id),
    }),
  );

  app.post<IdParams & { Body: { parentId: string } }>(
    `${base}/:id/move`,
    { config: privilege('bu.move'), schema: schema.moveSchema },
    async (request) => moveUnit(request.ctx, request.params.id, request.body.parentId),
  );

  app.post<IdParams & { Body: { parentId: string } }>(
    `${base}/:id/move-preview`,
    { config: privilege('bu.move'), schema: schema.movePreviewSchema },
    async (request) => previewMove(request.ctx, request.params.id, request.body.parentId, options.moveImpact),
  );

  registerSettingsRoutes(app);
  registerBrandRoutes(app);
  registerSignInBrandRoutes(app);
}

type SettingParams = { Params: { id: string; key: string } };

function registerSettingsRoutes(app: FastifyInstance): void {
  app.get(
    '/api/v1/settings/definitions',
    { config: { access: 'authenticated' }, schema: schema.settingDefinitionsSchema },
    async () => ({ items: listSettingDefinitions() }),
  );

  app.get<IdParams>(
    `${base}/:id/settings`,
    { config: privilege('settings.read'), schema: schema.readSettingsSchema },
    async (request) => ({ items: await readSettings(request.ctx, request.params.id) }),
  );

  app.get<SettingParams>(
    `${base}/:id/settings/:key`,
    { config: privilege('settings.read'), schema: schema.readSettingSchema },
    async (request) => readSetting(request.ctx, request.params.id, request.params.key),
  );

  app.put<SettingParams & { Body: { value: unknown; locked?: boolean } }>(
    `${base}/:id/settings/:key`,
    { config: privilege('settings.update'), schema: schema.setSettingSchema },
    async (request) => setSetting(request.ctx, request.params.id, request.params.key, request.body),
  );

  app.delete<SettingParams>(
    `${base}/:id/settings/:key`,
    { config: privilege('settings.update'), schema: schema.unsetSettingSchema },
    async (request) => unsetSetting(request.ctx, request.params.id, request.params.key),
  );
}

async function sendLogo(request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  return sendLogoBytes(request, reply, await getLogo(request.ctx, request.params.id), 'private');
}

/**
 * Answers a logo's bytes with its ETag (304 when the client has it). SVGs get a CSP that
 * lets nothing run even when opened directly.
 */
export async function sendLogoBytes(
  request: FastifyRequest,
  reply: FastifyReply,
  logo: { contentType: string; bytes: Uint8Array; sha256: string },
  cache: 'private' | 'public',
): Promise<FastifyReply> {
  const etag = `"${logo.sha256}"`;
  reply.header('etag', etag).header('cache-control', `${cache}, max-age=300`);
  // An SVG opened directly must not be able to run anything even if a check were missed.
  if (logo.contentType === 'image/svg+xml') {
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
  }
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  return reply
    .type(logo.contentType)
    .send(Buffer.from(logo.bytes.buffer, logo.bytes.byteOffset, logo.bytes.byteLength));
}

function registerBrandRoutes(app: FastifyInstance): void {
  app.get<IdParams>(
    `${base}/:id/brand`,
    { config: privilege('bu.read'), schema: schema.getBrandSchema },
    async (request) => getBrand(request.ctx, request.params.id),
  );

  app.patch<IdParams & { Body: BrandPatch }>(
    `${base}/:id/brand`,
    { config: privilege('bu.update'), schema: schema.updateBrandSchema },
    async (request) => updateBrand(request.ctx, request.params.id, request.body),
  );

  app.get<IdParams>(`${base}/:id/brand/logo`, { config: privilege('bu.read'), schema: schema.getLogoSchema }, sendLogo);

  app.put<IdParams & { Body: Buffer }>(
    `${base}/:id/brand/logo`,
    { config: privilege('bu.update'), schema: schema.putLogoSchema, bodyLimit: MAX_LOGO_BYTES },
    async (request) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return setLogo(request.ctx, request.params.id, request.headers['content-type'] ?? '', body);
    },
  );

  app.delete<IdParams>(
    `${base}/:id/brand/logo`,
    { config: privilege('bu.update'), schema: schema.deleteLogoSchema },
    async (request) => removeLogo(request.ctx, request.params.id),
  );
}

type SignInQuery = { Querystring: { host?: string; v?: string } };

/** The host the sign-in page names, else the one the request came to (a trusted proxy's forwarded host). */
function signInHostOf(request: FastifyRequest<SignInQuery>): string | undefined {
  return request.query.host ?? request.host;
}

/**
 * The public sign-in brand: whoever reaches the console through a unit's sign-in address
 * sees that unit's brand before signing in. Only what the page shows is disclosed; any
 * other host answers the installation's own brand, so addresses cannot be enumerated.
 * Two indexed lookups, cacheable for a minute (ETag for revalidation).
 */
function registerSignInBrandRoutes(app: FastifyInstance): void {
  app.get<SignInQuery>(
    '/api/v1/sign-in/brand',
    { config: { access: 'public' }, schema: schema.signInBrandSchema },
    async (request, reply) => {
      const unitId = await signInUnitId(request.ctx.database, signInHostOf(request));
      const summary = unitId ? await brandSummary(request.ctx.database, unitId) : defaultBrandSummary;
      const hostParam = request.query.host === undefined ? '' : `host=${encodeURIComponent(request.query.host)}&`;
      const body = {
        displayName: summary.displayName,
        primaryColor: summary.primaryColor,
        accentColor: summary.accentColor,
        logoUrl: summary.logo ? `/api/v1/sign-in/brand/logo?${hostParam}v=${summary.logo.sha256.slice(0, 16)}` : null,
      };
      const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22)}"`;
      reply.header('etag', etag).header('cache-control', 'public, max-age=60').header('vary', 'host');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return body;
    },
  );

  app.get<SignInQuery>(
    '/api/v1/sign-in/brand/logo',
    { config: { access: 'public' }, schema: schema.signInLogoSchema },
    async (request, reply) => {
      const unitId = await signInUnitId(request.ctx.database, signInHostOf(request));
      const logo = unitId ? await effectiveLogo(request.ctx.database, unitId) : undefined;
      if (!logo) throw new NotFoundError('Logo');
      reply.header('vary', 'host');
      return sendLogoBytes(request, reply, logo, 'public');
    },
  );
}
