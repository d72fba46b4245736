import { randomBytes } from 'node:crypto';
import { newId } from '../platform/index.ts';
import { backoffDelay } from '../platform/jobs/index.ts';
import type { ReportingDb } from './db.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { MailDeliveryError } from './errors.ts';
import {
  dueOutboxIds,
  insertOutboxMessage,
  leaseOutboxMessage,
  nearestSmtpOverride,
  type OutboxRow,
  settleOutboxMessage,
} from './outbox-store.ts';
import type { MailTransport, OutgoingMail, SmtpSettings } from './smtp.ts';
import type { InlineAttachment, RenderedMail } from './templates/render.ts';

/** Job kind that sends due messages from the outbox. */
export const flushOutboxJob = 'reporting.flush-outbox';

/** A rendered message for one recipient, ready to be queued. */
export interface MailToQueue {
  /** Identifies what the message is; queuing the same key twice queues it once. */
  readonly dedupKey: string;
  readonly buId: string | null;
  readonly category: 'report' | 'alert' | 'notice';
  readonly recipient: string;
  readonly from: { readonly name: string; readonly address: string };
  readonly mail: RenderedMail;
}

/**
 * Writes the message to the durable outbox (in the caller's transaction when given one), with
 * its Message-ID fixed now: any later resend carries the same id, so receiving systems can
 * discard a duplicate. Returns false when a message with this dedup key exists already.
 */
export async function queueMail(db: ReportingDb, message: MailToQueue, now: number): Promise<boolean> {
  const id = newId(now);
  const domain = message.from.address.split('@')[1] ?? 'coffer.invalid';
  return insertOutboxMessage(db, {
    id,
    dedup_key: message.dedupKey,
    message_id: `<${id}.${randomBytes(4).toString('hex')}@${domain}>`,
    bu_id: message.buId,
    category: message.category,
    recipient: message.recipient,
    from_address: message.from.address,
    from_name: message.from.name,
    subject: message.mail.subject,
    text_body: message.mail.text,
    html_body: message.mail.html,
    attachments: JSON.stringify(message.mail.attachments),
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_expires_at: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    sent_at: null,
  });
}

export interface FlushResult {
  readonly sent: number;
  readonly retried: number;
  readonly dead: number;
}

function toOutgoing(row: OutboxRow): OutgoingMail {
  return {
    messageId: row.message_id,
    from: { name: row.from_name, address: row.from_address },
    to: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    attachments: JSON.parse(row.attachments) as InlineAttachment[],
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Coffer-Category': row.category },
  };
}

/** Connection-level failures: the server is not there, so its other messages wait for the next round. */
const unreachableCodes = ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ETLS', 'EAUTH'];

/**
 * Sends due outbox messages (up to `limit`): each is leased (compare-and-set, so concurrent
 * flushes never send one message at the same time), sent through the SMTP server in force
 * for its unit, then marked sent. A failure is retried with exponential backoff and
 * dead-lettered after `maxAttempts` or at once on a permanent SMTP refusal. Delivery is
 * at-least-once: a crash between the server's acceptance and the "sent" mark resends the
 * message after the lease ends, with the same Message-ID.
 */
export async function flushOutbox(deps: ReportingDeps, limit = 500): Promise<FlushResult> {
  const db = reportingDb(deps.database);
  const { mail } = deps;
  const owner = `${deps.queue.workerId}:${randomBytes(4).toString('hex')}`;
  const transports = new Map<string, MailTransport>();
  const unreachable = new Map<string, string>();
  let sent = 0;
  let retried = 0;
  let dead = 0;
  try {
    let handled = 0;
    while (handled < limit) {
      const ids = await dueOutboxIds(db, deps.clock.now(), Math.min(50, limit - handled));
      if (ids.length === 0) break;
      for (const id of ids) {
        handled++;
        const now = deps.clock.now();
        const row = await leaseOutboxMessage(db, id, owner, now, now + mail.leaseMs);
        if (!row) continue;
        const smtp = await smtpFor(deps, db, row.bu_id);
        const key = smtp ? smtpKey(smtp) : '';
        try {
          if (!smtp) throw new MailDeliveryError('no SMTP server is configured for this unit', { permanent: false });
          const down = unreachable.get(key);
          if (down) throw new MailDeliveryError(`SMTP server unreachable in this round: ${down}`, { permanent: false });
          let transport = transports.get(key);
          if (!transport) {
            transport = mail.createTransport(smtp);
            transports.set(key, transport);
          }
          await transport.send(toOutgoing(row));
          await settleOutboxMessage(db, id, owner, { status: 'sent', now: deps.clock.now() });
          sent++;
        } catch (error) {
          const failure =
            error instanceof MailDeliveryError ? error : new MailDeliveryError(String(error), { permanent: false });
          const code = failure.message.split(/[ :]/, 1)[0] ?? '';
          if (smtp && unreachableCodes.includes(code)) unreachable.set(key, failure.message);
          const at = deps.clock.now();
          const attempt = row.attempts + 1;
          if (failure.permanent || attempt >= mail.maxAttempts) {
            await settleOutboxMessage(db, id, owner, { status: 'dead', now: at, error: failure.message });
            dead++;
            deps.log.warn({ outboxId: id, attempt, error: failure.message }, 'e-mail dead-lettered');
          } else {
            const nextAttemptAt = at + Math.max(1000, backoffDelay(attempt, mail.backoff, mail.random));
            await settleOutboxMessage(db, id, owner, {
              status: 'pending',
              now: at,
              nextAttemptAt,
              error: failure.message,
            });
            retried++;
          }
        }
      }
    }
  } finally {
    for (const transport of transports.values()) transport.close();
  }
  return { sent, retried, dead };
}

function smtpKey(settings: SmtpSettings): string {
  return `${settings.security}://${settings.username ?? ''}@${settings.host}:${settings.port}`;
}

/** The unit's nearest override on its path to the root, else the installation default. */
async function smtpFor(deps: ReportingDeps, db: ReportingDb, buId: string | null): Promise<SmtpSettings | null> {
  if (buId !== null) {
    const override = await nearestSmtpOverride(db, buId);
    if (override) {
      return {
        host: override.host,
        port: override.port,
        security: override.security,
        username: override.username,
        password: override.password_sealed
          ? deps.secrets.open(override.password_sealed, smtpSecretContext(override.bu_id))
          : null,
      };
    }
  }
  return deps.mail.defaultSmtp;
}

/** Associated data binding a sealed SMTP password to its unit. */
export function smtpSecretContext(buId: string): string {
  return `reporting.smtp:${buId}`;
}
