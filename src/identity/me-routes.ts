import type { FastifyInstance } from 'fastify';
import { sendLogoBytes } from '../tenancy/index.ts';
import { explainSelf } from './explain.ts';
import { describeMe, endMySession, listMySessions, myLogo } from './me.ts';
import { confirmTotpEnrolment, disableTotp, regenerateRecoveryCodes, startTotpEnrolment } from './mfa.ts';
import { noContent, restrictedStages } from './route-config.ts';
import type { IdentityRuntime } from './runtime.ts';
import { explainQuery, explanationSchema, paramsOf, passwordSchema, totpCodeSchema, userSchema } from './schema.ts';

const meSchema = {
  type: 'object',
  properties: {
    user: userSchema,
    principal: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['user', 'apikey'] },
        credentialId: { type: 'string' },
        scopeBuId: { type: 'string' },
        roleId: { type: 'string' },
        privileges: { type: 'array', items: { type: 'string' } },
      },
    },
    stage: { type: 'string', enum: ['full', 'password', 'enrol'] },
    mfa: {
      type: 'object',
      properties: {
        enrolled: { type: 'boolean' },
        required: { type: 'boolean' },
        recoveryCodesLeft: { type: 'integer' },
      },
    },
    brand: {
      type: 'object',
      description: "The effective brand of the user's own business unit (needs no privilege).",
      properties: {
        displayName: { type: 'string' },
        primaryColor: { type: 'string' },
        accentColor: { type: 'string' },
        logoUrl: { type: ['string', 'null'], description: 'Same-origin URL of the logo (changes with its content).' },
      },
      required: ['displayName', 'primaryColor', 'accentColor', 'logoUrl'],
    },
  },
  required: ['user', 'principal', 'stage', 'mfa', 'brand'],
} as const;

const sessionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    current: { type: 'boolean' },
    authMethod: { type: 'string' },
    address: { type: 'string' },
    userAgent: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

const recoveryCodesSchema = {
  type: 'object',
  properties: {
    recoveryCodes: { type: 'array', items: { type: 'string' }, description: 'Shown once; each works once' },
  },
  required: ['recoveryCodes'],
} as const;

/** The caller's own account: profile, TOTP, sessions, and "why may I (not) do X here". */
export function registerMeRoutes(app: FastifyInstance, rt: IdentityRuntime): void {
  app.get(
    '/api/v1/me',
    {
      config: { access: 'authenticated', stages: restrictedStages },
      schema: {
        tags: ['identity'],
        summary: 'The signed-in user or API key, its privileges and MFA state',
        response: { 200: meSchema },
      },
    },
    async (request) => describeMe(rt, request.ctx, request.authentication?.stage ?? 'full'),
  );

  app.get(
    '/api/v1/me/brand/logo',
    {
      config: { access: 'authenticated', stages: restrictedStages },
      schema: {
        tags: ['identity'],
        summary: "The logo of the user's own business unit (404 when no unit on its path has one)",
        querystring: {
          type: 'object',
          properties: { v: { type: 'string', maxLength: 64, pattern: '^[0-9a-f]*$', description: 'Cache key.' } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => sendLogoBytes(request, reply, await myLogo(rt, request.ctx), 'private'),
  );

  app.post(
    '/api/v1/me/totp',
    {
      config: { access: 'authenticated', stages: ['enrol'] },
      schema: {
        tags: ['identity'],
        summary: 'Start TOTP enrolment: a new secret, its otpauth URI and a QR code',
        description:
          'Replacing a confirmed TOTP needs the current password. Confirm with POST /api/v1/me/totp/confirm.',
        body: {
          type: 'object',
          properties: { password: passwordSchema },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { secret: { type: 'string' }, otpauthUri: { type: 'string' }, qrCodeSvg: { type: 'string' } },
            required: ['secret', 'otpauthUri', 'qrCodeSvg'],
          },
        },
      },
    },
    async (request) => startTotpEnrolment(rt, request.ctx, (request.body ?? {}) as { password?: string }),
  );

  app.post(
    '/api/v1/me/totp/confirm',
    {
      config: { access: 'authenticated', stages: ['enrol'] },
      schema: {
        tags: ['identity'],
        summary: 'Confirm TOTP enrolment with a first valid code; returns ten recovery codes once',
        body: { type: 'object', properties: { code: totpCodeSchema }, required: ['code'], additionalProperties: false },
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => confirmTotpEnrolment(rt, request.ctx, request.body as { code: string }),
  );

  app.delete(
    '/api/v1/me/totp',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: 'Turn TOTP off (password required; refused where MFA is required)',
        body: {
          type: 'object',
          properties: { password: passwordSchema },
          required: ['password'],
          additionalProperties: false,
        },
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await disableTotp(rt, request.ctx, request.body as { password: string });
      return noContent(reply);
    },
  );

  app.post(
    '/api/v1/me/totp/recovery-codes',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: 'Replace the recovery codes (confirmed by a current TOTP code)',
        body: { type: 'object', properties: { code: totpCodeSchema }, required: ['code'], additionalProperties: false },
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => regenerateRecoveryCodes(rt, request.ctx, request.body as { code: string }),
  );

  app.get(
    '/api/v1/me/explain',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: 'Why the caller may or may not do a privilege on a business unit',
        querystring: explainQuery,
        response: { 200: explanationSchema },
      },
    },
    async (request) => explainSelf(rt, request.ctx, request.query as { privilege: string; buId: string }),
  );

  app.get(
    '/api/v1/me/sessions',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: "The signed-in user's open sessions",
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: sessionSchema } } } },
      },
    },
    async (request) => ({ items: await listMySessions(rt, request.ctx) }),
  );

  app.delete(
    '/api/v1/me/sessions/:sessionId',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['identity'],
        summary: "End one of the signed-in user's sessions (e.g. a forgotten browser)",
        params: paramsOf('sessionId'),
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await endMySession(rt, request.ctx, (request.params as { sessionId: string }).sessionId);
      return noContent(reply);
    },
  );
}
