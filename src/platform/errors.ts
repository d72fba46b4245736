/**
 * Base class of every error Coffer raises on purpose. `code` is stable and is what the
 * HTTP shell maps to a problem+json `type` and status; services never mention HTTP.
 */
export class CofferError extends Error {
  readonly code: string;
  /** Extra fields safe to show to the caller (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** A request or setting that breaks a rule; the message says which. */
export class ValidationError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details ? { details } : undefined);
  }
}

/** The resource does not exist, or exists outside the caller's reach (the two are indistinguishable). */
export class NotFoundError extends CofferError {
  constructor(what: string) {
    super('not_found', `${what} was not found`);
  }
}

/** The caller is known but lacks the privilege. */
export class ForbiddenError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, details ? { details } : undefined);
  }
}

/** The caller is not signed in, or its credential is no longer valid. */
export class UnauthenticatedError extends CofferError {
  constructor(message = 'Sign-in required') {
    super('unauthenticated', message);
  }
}

/** The request conflicts with the current state (duplicate name, non-empty unit, ...). */
export class ConflictError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details ? { details } : undefined);
  }
}

/** A setting is missing or malformed; the message names the variable and what is allowed. */
export class ConfigError extends CofferError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}
