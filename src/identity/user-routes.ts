import type { FastifyInstance } from 'fastify';
import { explainUser } from './explain.ts';
import { noContent } from './route-config.ts';
import type { IdentityRuntime } from './runtime.ts';
import {
  emailSchema,
  explainQuery,
  explanationSchema,
  idSchema,
  nameSchema,
  pageOf,
  pagingQuery,
  paramsOf,
  passwordSchema,
  userSchema,
} from './schema.ts';
import type { UserStatus } from './tables.ts';
import {
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  getUser,
  inviteUser,
  listUsers,
  resendInvitation,
  resetUserMfa,
  unlockUser,
  updateUser,
} from './users.ts';

const newUserProperties = { buId: idSchema, email: emailSchema, displayName: nameSchema, roleId: idSchema } as const;

const invitationSchema = {
  type: 'object',
  properties: {
    user: userSchema,
    token: {
      type: 'string',
      description: 'Shown once: the one-time link carries it to POST /api/v1/auth/invitations/accept',
    },
    expiresAt: { type: 'string', format: 'date-time' },
  },
  required: ['user', 'token', 'expiresAt'],
} as const;

const userParams = paramsOf('userId');
type UserParams = { userId: string };

function invitationBody(invitation: { user: unknown; token: string; expiresAt: number }) {
  return { user: invitation.user, token: invitation.token, expiresAt: new Date(invitation.expiresAt).toISOString() };
}

/** Users of business units: create, invite, read, change, disable, enable, unlock, reset MFA, delete, explain. */
export function registerUserRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.get(
    '/api/v1/users',
    {
      config: { access: 'privilege', privilege: 'user.read' },
      schema: {
        tags: ['users'],
        summary: 'List the users of a unit (and by default its subtree)',
        querystring: {
          type: 'object',
          properties: {
            buId: idSchema,
            subtree: { type: 'boolean', default: true },
            status: { type: 'string', enum: ['active', 'invited', 'disabled'] },
            roleId: idSchema,
            q: { type: 'string', minLength: 1, maxLength: 200 },
            ...pagingQuery,
          },
          required: ['buId'],
          additionalProperties: false,
        },
        response: { 200: pageOf(userSchema) },
      },
    },
    async (request) =>
      listUsers(
        rt,
        request.ctx,
        request.query as {
          buId: string;
          subtree?: boolean;
          status?: UserStatus;
          roleId?: string;
          q?: string;
          limit?: number;
          cursor?: string;
        },
      ),
  );

  app.post(
    '/api/v1/users',
    {
      config: { access: 'privilege', privilege: 'user.create' },
      schema: {
        tags: ['users'],
        summary: 'Create a user with a password (to be changed at first sign-in unless mustChangePassword is false)',
        body: {
          type: 'object',
          properties: { ...newUserProperties, password: passwordSchema, mustChangePassword: { type: 'boolean' } },
          required: ['buId', 'email', 'displayName', 'roleId', 'password'],
          additionalProperties: false,
        },
        response: { 201: userSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof createUser>[2];
      return reply.status(201).send(await createUser(rt, request.ctx, body));
    },
  );

  app.post(
    '/api/v1/users/invitations',
    {
      config: { access: 'privilege', privilege: 'user.create' },
      schema: {
        tags: ['users'],
        summary: 'Invite a user: creates the account and a one-time link (valid seven days) to set the password',
        body: {
          type: 'object',
          properties: newUserProperties,
          required: ['buId', 'email', 'displayName', 'roleId'],
          additionalProperties: false,
        },
        response: { 201: invitationSchema },
      },
    },
    async (request, reply) => {
      const invitation = await inviteUser(rt, request.ctx, request.body as Parameters<typeof inviteUser>[2]);
      return reply.status(201).send(invitationBody(invitation));
    },
  );

  app.get(
    '/api/v1/users/:userId',
    {
      config: { access: 'privilege', privilege: 'user.read' },
      schema: { tags: ['users'], summary: 'Get a user', params: userParams, response: { 200: userSchema } },
    },
    async (request) => getUser(rt, request.ctx, (request.params as UserParams).userId),
  );

  app.patch(
    '/api/v1/users/:userId',
    {
      config: { access: 'privilege', privilege: 'user.update' },
      schema: {
        tags: ['users'],
        summary: "Change a user's name, email or role",
        params: userParams,
        body: {
          type: 'object',
          properties: { displayName: nameSchema, email: emailSchema, roleId: idSchema },
          minProperties: 1,
          additionalProperties: false,
        },
        response: { 200: userSchema },
      },
    },
    async (request) =>
      updateUser(
        rt,
        request.ctx,
        (request.params as UserParams).userId,
        request.body as Parameters<typeof updateUser>[3],
      ),
  );

  const actions = [
    ['disable', 'Disable a user: ends all its sessions and revokes all its API keys at once', disableUser],
    ['enable', 'Enable a disabled user (its revoked API keys stay revoked)', enableUser],
  ] as const;
  for (const [action, summary, handler] of actions) {
    app.post(
      `/api/v1/users/:userId/${action}`,
      {
        config: { access: 'privilege', privilege: 'user.update' },
        schema: { tags: ['users'], summary, params: userParams, response: { 200: userSchema } },
      },
      async (request) => handler(rt, request.ctx, (request.params as UserParams).userId),
    );
  }

  app.post(
    '/api/v1/users/:userId/unlock',
    {
      config: { access: 'privilege', privilege: 'user.update' },
      schema: {
        tags: ['users'],
        summary: 'Lift a sign-in lockout of the account (it also ends by itself after 15 minutes)',
        params: userParams,
        response: { 200: { type: 'object', properties: { wasLocked: { type: 'boolean' } }, required: ['wasLocked'] } },
      },
    },
    async (request) => unlockUser(rt, request.ctx, (request.params as UserParams).userId),
  );

  app.post(
    '/api/v1/users/:userId/reset-mfa',
    {
      config: { access: 'privilege', privilege: 'user.update' },
      schema: {
        tags: ['users'],
        summary: "Remove a user's TOTP and recovery codes (lost device) and end its sessions",
        params: userParams,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await resetUserMfa(rt, request.ctx, (request.params as UserParams).userId);
      return noContent(reply);
    },
  );

  app.post(
    '/api/v1/users/:userId/invitation',
    {
      config: { access: 'privilege', privilege: 'user.create' },
      schema: {
        tags: ['users'],
        summary: 'Send a new invitation link to a user who has not accepted yet (earlier links stop working)',
        params: userParams,
        response: { 201: invitationSchema },
      },
    },
    async (request, reply) => {
      const invitation = await resendInvitation(rt, request.ctx, (request.params as UserParams).userId);
      return reply.status(201).send(invitationBody(invitation));
    },
  );

  app.delete(
    '/api/v1/users/:userId',
    {
      config: { access: 'privilege', privilege: 'user.delete' },
      schema: { tags: ['users'], summary: 'Delete a user', params: userParams, response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      await deleteUser(rt, request.ctx, (request.params as UserParams).userId);
      return noContent(reply);
    },
  );

  app.get(
    '/api/v1/users/:userId/explain',
    {
      config: { access: 'privilege', privilege: 'user.read' },
      schema: {
        tags: ['users'],
        summary: 'Why a user may or may not do a privilege on a business unit',
        params: userParams,
        querystring: explainQuery,
        response: { 200: explanationSchema },
      },
    },
    async (request) =>
      explainUser(
        rt,
        request.ctx,
        (request.params as UserParams).userId,
        request.query as { privilege: string; buId: string },
      ),
  );
}
