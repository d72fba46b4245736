import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CofferError } from '../platform/index.ts';

/**
 * RFC 9457 problem details. `type` is a stable URN built from the error code, so clients
 * can switch on it; `title` is the short fixed phrase, `detail` the specific message.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/** HTTP status of every error code the modules raise; unknown codes are 500. */
const statusByCode = new Map<string, number>([
  ['validation_failed', 400],
  ['malformed_request', 400],
  ['unauthenticated', 401],
  ['forbidden', 403],
  ['not_found', 404],
  ['method_not_allowed', 405],
  ['conflict', 409],
  // A hard storage quota refuses new backups (restores stay allowed).
  ['quota_exceeded', 409],
  ['gone', 410],
  ['payload_too_large', 413],
  ['unsupported_media_type', 415],
  ['rate_limited', 429],
  ['internal_error', 500],
  ['not_ready', 503],
  ['storage_unavailable', 503],
  // The zone ran out of space: the upload is refused and nothing half-written stays.
  ['storage_full', 507],
]);

/** Lets a module declare the HTTP status of one of its own error codes. */
export function registerErrorStatus(code: string, status: number): void {
  statusByCode.set(code, status);
}

const titles: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function problemType(code: string): string {
  return `urn:coffer:problem:${code}`;
}

export function buildProblem(code: string, status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(code), title: titles[status] ?? 'Error', status, detail, ...extra };
}

/** Fastify's own error codes that are the caller's fault, with the code we answer. */
const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_request',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_request',
  FST_ERR_CTP_INVALID_TYPE: 'malformed_request',
};

function toProblem(error: unknown, request: FastifyRequest): Problem {
  const requestId = String(request.id);
  const instance = request.url.split('?')[0];
  if (error instanceof CofferError) {
    const status = statusByCode.get(error.code) ?? 500;
    if (status >= 500)
      return buildProblem('internal_error', 500, 'The server failed to handle the request.', { requestId });
    return buildProblem(error.code, status, error.message, { requestId, instance, ...(error.details ?? {}) });
  }
  const fastifyError = error as FastifyError & {
    validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
    validationContext?: string;
  };
  if (fastifyError.validation) {
    const part = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((v) => {
      const extra = v.params?.additionalProperty ? ` (${String(v.params.additionalProperty)})` : '';
      return { path: `${part}${v.instancePath}`, message: `${v.message ?? 'is invalid'}${extra}` };
    });
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return buildProblem('validation_failed', 400, detail, { requestId, instance, errors });
  }
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) {
    const status = statusByCode.get(mapped) ?? 400;
    return buildProblem(mapped, status, fastifyError.message, { requestId, instance });
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return buildProblem('malformed_request', fastifyError.statusCode, fastifyError.message, { requestId, instance });
  }
  return buildProblem('internal_error', 500, 'The server failed to handle the request.', { requestId });
}

/** The one error handler: every error leaves as problem+json; 5xx details go to the log only. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(error, request);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = buildProblem('not_found', 404, `No route ${request.method} ${request.url.split('?')[0]}`, {
    requestId: String(request.id),
  });
  return reply.status(404).type('application/problem+json').send(problem);
}

/** JSON Schema of a problem+json body, for route `response` schemas and OpenAPI. */
export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;
