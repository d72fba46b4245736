import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticated, SessionStage } from './authenticate.ts';
import type { CallerMeta } from './sign-in.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Restricted session stages that may still call this route (a session that must
     * change its password or enrol MFA may call nothing else). Absent: full sessions only.
     */
    stages?: readonly SessionStage[];
  }
  interface FastifyRequest {
    /** The resolved credential (null when anonymous, or on public routes). Set by the server's auth hook. */
    authentication: Authenticated | null;
  }
}

/** Every restricted stage: routes a half-signed-in session may call. */
export const restrictedStages: readonly SessionStage[] = Object.freeze(['password', 'enrol']);

export function callerMeta(request: FastifyRequest): CallerMeta {
  return {
    address: request.ctx.address,
    userAgent: String(request.headers['user-agent'] ?? ''),
    requestId: request.ctx.requestId,
  };
}

/** Cookies get `Secure` when the request arrived over HTTPS (directly or via a trusted proxy). */
export function isSecure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.status(204).send();
}
