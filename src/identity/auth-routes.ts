import type { FastifyInstance } from 'fastify';
import { clearedSessionCookies, parseCookies, sessionCookieName, sessionCookies } from './cookies.ts';
import { callerMeta, isSecure, noContent, restrictedStages } from './route-config.ts';
import type { IdentityRuntime } from './runtime.ts';
import { passwordSchema, recoveryCodeSchema, tokenSchema, totpCodeSchema, userSchema } from './schema.ts';
import { changePassword, completeMfaSignIn, type IssuedSession, signIn, signOut } from './sign-in.ts';
import { acceptInvitation } from './users.ts';
import { userView } from './views.ts';

const sessionResponse = {
  type: 'object',
  description: 'Signed in: the session cookie (HttpOnly) and the CSRF cookie are set',
  properties: {
    status: { type: 'string', enum: ['signed_in'] },
    user: userSchema,
    stage: {
      type: 'string',
      enum: ['full', 'password', 'enrol'],
      description: 'password: change it first; enrol: set up TOTP first; full: everything the role allows',
    },
    expiresAt: { type: 'string', format: 'date-time' },
    csrfToken: {
      type: 'string',
      description: 'Send as x-csrf-token on unsafe requests (also in the coffer_csrf cookie)',
    },
  },
  required: ['status', 'user', 'stage', 'expiresAt', 'csrfToken'],
} as const;

const challengeResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['mfa_required'] },
    challengeToken: { type: 'string', description: 'Answer with POST /api/v1/auth/mfa within five minutes' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
  required: ['status', 'challengeToken', 'expiresAt'],
} as const;

function sessionBody(session: IssuedSession) {
  return {
    status: 'signed_in' as const,
    user: userView(session.user),
    stage: session.stage,
    expiresAt: new Date(session.expiresAt).toISOString(),
    csrfToken: session.csrfToken,
  };
}

/** Sign-in, second factor, password change, sign-out and invitation acceptance. */
export function registerAuthRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.post(
    '/api/v1/auth/sign-in',
    {
      config: { access: 'public' },
      schema: {
        tags: ['identity'],
        summary: 'Sign in with email and password',
        description:
          'Starts a session (cookies) or, for users with TOTP, returns a challenge. Failed attempts are slowed down per account and address and lead to a temporary lockout (429).',
        body: {
          type: 'object',
          properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: passwordSchema },
          required: ['email', 'password'],
          additionalProperties: false,
        },
        response: { 200: { oneOf: [sessionResponse, challengeResponse] } },
      },
    },
    async (request, reply) => {
      const body = request.body as { email: string; password: string };
      const previous = parseCookies(request.headers.cookie).get(sessionCookieName);
      const result = await signIn(rt, callerMeta(request), {
        ...body,
        ...(previous ? { previousSessionToken: previous } : {}),
      });
      if (result.kind === 'challenge') {
        return {
          status: 'mfa_required',
          challengeToken: result.challengeToken,
          expiresAt: new Date(result.expiresAt).toISOString(),
        };
      }
      reply.header('set-cookie', sessionCookies(result.session, rt.clock.now(), isSecure(request)));
      return sessionBody(result.session);
    },
  );

  app.post(
    '/api/v1/auth/mfa',
    {
      config: { access: 'public' },
      schema: {
        tags: ['identity'],
        summary: 'Answer a sign-in challenge with a TOTP code or a recovery code',
        body: {
          type: 'object',
          properties: { challengeToken: tokenSchema, code: totpCodeSchema, recoveryCode: recoveryCodeSchema },
          required: ['challengeToken'],
          oneOf: [{ required: ['code'] }, { required: ['recoveryCode'] }],
          additionalProperties: false,
        },
        response: { 200: sessionResponse },
      },
    },
    async (request, reply) => {
      const body = request.body as { challengeToken: string; code?: string; recoveryCode?: string };
      const session = await completeMfaSignIn(rt, callerMeta(request), body);
      reply.header('set-cookie', sessionCookies(session, rt.clock.now(), isSecure(request)));
      return sessionBody(session);
    },
  );

  app.post(
    '/api/v1/auth/sign-out',
    {
      config: { access: 'authenticated', stages: restrictedStages },
      schema: { tags: ['identity'], summary: 'End the current session', response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      await signOut(rt, request.ctx);
      reply.header('set-cookie', clearedSessionCookies(isSecure(request)));
      return noContent(reply);
    },
  );

  app.post(
    '/api/v1/auth/change-password',
    {
      config: { access: 'authenticated', stages: restrictedStages },
      schema: {
        tags: ['identity'],
        summary: "Change the signed-in user's password",
        description: 'Ends every session of the user and starts a new one for this browser (new cookies).',
        body: {
          type: 'object',
          properties: { currentPassword: passwordSchema, newPassword: passwordSchema },
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
        },
        response: { 200: sessionResponse },
      },
    },
    async (request, reply) => {
      const body = request.body as { currentPassword: string; newPassword: string };
      const session = await changePassword(rt, request.ctx, callerMeta(request), body);
      reply.header('set-cookie', sessionCookies(session, rt.clock.now(), isSecure(request)));
      return sessionBody(session);
    },
  );

  app.post(
    '/api/v1/auth/invitations/accept',
    {
      config: { access: 'public' },
      schema: {
        tags: ['identity'],
        summary: 'Accept an invitation: set the password through the one-time link',
        body: {
          type: 'object',
          properties: { token: tokenSchema, password: passwordSchema },
          required: ['token', 'password'],
          additionalProperties: false,
        },
        response: { 200: userSchema },
      },
    },
    async (request) => acceptInvitation(rt, callerMeta(request), request.body as { token: string; password: string }),
  );
}
