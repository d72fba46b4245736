import type { FastifyInstance } from 'fastify';
import { registerBillingRoutes } from '../billing/index.ts';
import { createMoveImpactProvider, registerIdentityRoutes } from '../identity/index.ts';
import { createDataSourceStatusProvider, registerProtectionRoutes } from '../protection/index.ts';
import { registerReportingRoutes } from '../reporting/index.ts';
import { registerTenancyRoutes } from '../tenancy/index.ts';
import { registerUsageRoutes } from '../usage/index.ts';
import { registerCertificateRoutes } from './certificate-routes.ts';
import type { ServerContext } from './context.ts';
import { registerHealthRoutes } from './health-routes.ts';

/**
 * Every route plugin of the API, in one list: the authorization-matrix test walks the
 * routes these register. Domain modules export a `register…Routes(app, ctx)` function.
 */
export async function registerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  registerHealthRoutes(app, ctx);
  registerCertificateRoutes(app, ctx, ctx.certificates);
  registerIdentityRoutes(app, app.identity);
  await registerTenancyRoutes(app, ctx, { moveImpact: createMoveImpactProvider(ctx.clock) });
  registerReportingRoutes(app, ctx, {
    secrets: app.identity.box,
    dataSources: createDataSourceStatusProvider(ctx.database, { dataDir: ctx.config.dataDir }),
  });
  registerUsageRoutes(app, ctx);
  registerBillingRoutes(app, ctx);
  registerProtectionRoutes(app, ctx);
}
