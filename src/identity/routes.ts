import type { FastifyInstance } from 'fastify';
import { registerApiKeyRoutes } from './api-key-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { registerMeRoutes } from './me-routes.ts';
import { registerRoleRoutes } from './role-routes.ts';
import type { IdentityRuntime } from './runtime.ts';
import { registerUserRoutes } from './user-routes.ts';

/** Every identity route: sign-in, the caller's account, users, roles, API keys, audit log. */
export function registerIdentityRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  registerAuthRoutes(app, rt);
  registerMeRoutes(app, rt);
  registerUserRoutes(app, rt);
  registerRoleRoutes(app, rt);
  registerApiKeyRoutes(app, rt);
  registerAuditRoutes(app, rt);
}
