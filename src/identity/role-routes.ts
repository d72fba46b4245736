import type { FastifyInstance } from 'fastify';
import { privileges } from './privileges.ts';
import { createRole, deleteRole, getRole, listRoles, updateRole } from './roles.ts';
import { noContent } from './route-config.ts';
import type { IdentityRuntime } from './runtime.ts';
import { descriptionSchema, idSchema, nameSchema, paramsOf, roleSchema } from './schema.ts';

const privilegeList = {
  type: 'array',
  items: { type: 'string', enum: [...privileges] },
  maxItems: privileges.length,
  uniqueItems: true,
} as const;

const roleParams = paramsOf('roleId');
type RoleParams = { roleId: string };

/** Built-in and custom roles, and the privilege catalogue. */
export function registerRoleRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.get(
    '/api/v1/privileges',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['roles'],
        summary: 'The privilege catalogue',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async () => ({ items: [...privileges] }),
  );

  app.get(
    '/api/v1/roles',
    {
      config: { access: 'privilege', privilege: 'role.read' },
      schema: {
        tags: ['roles'],
        summary: 'Roles usable at a unit: built-in ones and custom ones defined at the unit or above',
        querystring: {
          type: 'object',
          properties: { buId: idSchema },
          required: ['buId'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: roleSchema } } } },
      },
    },
    async (request) => ({ items: await listRoles(rt, request.ctx, request.query as { buId: string }) }),
  );

  app.post(
    '/api/v1/roles',
    {
      config: { access: 'privilege', privilege: 'role.create' },
      schema: {
        tags: ['roles'],
        summary: 'Define a custom role in a unit (usable in its subtree); it cannot grant more than the caller holds',
        body: {
          type: 'object',
          properties: {
            buId: idSchema,
            name: { ...nameSchema, maxLength: 100 },
            description: descriptionSchema,
            privileges: privilegeList,
          },
          required: ['buId', 'name', 'privileges'],
          additionalProperties: false,
        },
        response: { 201: roleSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createRole(rt, request.ctx, request.body as Parameters<typeof createRole>[2])),
  );

  app.get(
    '/api/v1/roles/:roleId',
    {
      config: { access: 'privilege', privilege: 'role.read' },
      schema: { tags: ['roles'], summary: 'Get a role', params: roleParams, response: { 200: roleSchema } },
    },
    async (request) => getRole(rt, request.ctx, (request.params as RoleParams).roleId),
  );

  app.patch(
    '/api/v1/roles/:roleId',
    {
      config: { access: 'privilege', privilege: 'role.update' },
      schema: {
        tags: ['roles'],
        summary: 'Change a custom role (built-in roles are fixed)',
        params: roleParams,
        body: {
          type: 'object',
          properties: {
            name: { ...nameSchema, maxLength: 100 },
            description: descriptionSchema,
            privileges: privilegeList,
          },
          minProperties: 1,
          additionalProperties: false,
        },
        response: { 200: roleSchema },
      },
    },
    async (request) =>
      updateRole(
        rt,
        request.ctx,
        (request.params as RoleParams).roleId,
        request.body as Parameters<typeof updateRole>[3],
      ),
  );

  app.delete(
    '/api/v1/roles/:roleId',
    {
      config: { access: 'privilege', privilege: 'role.delete' },
      schema: {
        tags: ['roles'],
        summary: 'Delete a custom role that no user or live API key holds',
        params: roleParams,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await deleteRole(rt, request.ctx, (request.params as RoleParams).roleId);
      return noContent(reply);
    },
  );
}
