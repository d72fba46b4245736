import { CofferError } from '../platform/index.ts';

/**
 * Tenancy's refusals. They reuse the platform's stable codes (so the HTTP shell already
 * knows their status) and add a `reason` extension member that clients can switch on.
 */
export type TenancyRefusal =
  | 'move_cycle'
  | 'move_root'
  | 'move_scope_root'
  | 'depth_limit'
  | 'code_taken'
  | 'has_children'
  | 'delete_root'
  | 'delete_scope_root'
  | 'delete_guard'
  | 'still_referenced'
  | 'setting_locked'
  | 'concurrent_change'
  | 'sign_in_host_taken';

/** The change would break the tree (a cycle, a root move, too deep). HTTP 400. */
export class TreeRuleError extends CofferError {
  readonly reason: TenancyRefusal;
  constructor(reason: TenancyRefusal, message: string, details: Record<string, unknown> = {}) {
    super('validation_failed', message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

/** The change conflicts with the current state (sibling code taken, children left, a guard refused). HTTP 409. */
export class TreeConflictError extends CofferError {
  readonly reason: TenancyRefusal;
  constructor(reason: TenancyRefusal, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('conflict', message, { details: { reason, ...details }, cause });
    this.reason = reason;
  }
}

/** The upload is larger than allowed. HTTP 413. */
export class UploadTooLargeError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('payload_too_large', message, details ? { details } : undefined);
  }
}

/** The upload is not one of the accepted kinds, or its bytes do not match the declared kind. HTTP 415. */
export class UnsupportedUploadError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unsupported_media_type', message, details ? { details } : undefined);
  }
}
