import { CofferError } from '../platform/index.ts';

/**
 * A webhook URL the server refuses to call: not HTTPS, or resolving to an address inside
 * the provider's own network (loopback, private, link-local, cloud metadata …). Reported
 * as `validation_failed` so the caller sees a 400 naming the reason.
 */
export class UnsafeWebhookUrlError extends CofferError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details ? { details } : undefined);
  }
}

/** A mail transport refused or failed a message; `permanent` when retrying cannot help (SMTP 5xx). */
export class MailDeliveryError extends CofferError {
  readonly permanent: boolean;

  constructor(message: string, options: { permanent: boolean; cause?: unknown }) {
    super('mail_delivery_failed', message, { cause: options.cause });
    this.permanent = options.permanent;
  }
}
