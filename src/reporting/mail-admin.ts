import { ConflictError, NotFoundError, ValidationError } from '../platform/index.ts';
import type { JobQueue } from '../platform/jobs/index.ts';
import { actorId, type ReportingContext } from './context.ts';
import { reportingDb } from './db.ts';
import { flushOutboxJob, smtpSecretContext } from './outbox.ts';
import {
  findOutboxMessage,
  listOutboxMessages,
  nearestSmtpOverride,
  type OutboxRow,
  reviveOutboxMessage,
} from './outbox-store.ts';
import type { SecretSealer } from './ports.ts';
import { checkSmtpSettings, type SmtpSettings } from './smtp.ts';
import { findUnit } from './subscriber-store.ts';
import type { OutboxStatus, SmtpSecurity } from './tables.ts';
import { iso, isoOrNull } from './time-format.ts';

export interface OutboxMessageView {
  readonly id: string;
  readonly buId: string | null;
  readonly category: string;
  readonly recipient: string;
  readonly subject: string;
  readonly messageId: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly sentAt: string | null;
}

function messageView(row: OutboxRow): OutboxMessageView {
  return {
    id: row.id,
    buId: row.bu_id,
    category: row.category,
    recipient: row.recipient,
    subject: row.subject,
    messageId: row.message_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    sentAt: isoOrNull(row.sent_at),
  };
}

/**
 * The e-mail outbox of `buId`'s subtree, newest first; `status: 'dead'` lists the
 * dead letters. Requires `report.manage` (recipients and subjects are operational data).
 */
export async function listOutbox(
  ctx: ReportingContext,
  buId: string,
  options: { status?: OutboxStatus; limit: number; cursor?: string },
): Promise<{ messages: OutboxMessageView[]; nextCursor?: string }> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const rows = await listOutboxMessages(reportingDb(ctx.database), {
    scopeBuId: buId,
    includeUnitless: false,
    limit: options.limit + 1,
    ...(options.status ? { status: options.status } : {}),
    ...(options.cursor ? { cursor: options.cursor } : {}),
  });
  const page = rows.slice(0, options.limit).map(messageView);
  return rows.length > options.limit ? { messages: page, nextCursor: page[page.length - 1]!.id } : { messages: page };
}

/** Puts a dead message back in the outbox with fresh attempts. Requires `report.manage`. */
export async function retryOutboxMessage(
  ctx: ReportingContext,
  queue: JobQueue,
  id: string,
): Promise<OutboxMessageView> {
  const db = reportingDb(ctx.database);
  const row = await findOutboxMessage(db, id);
  if (!row || row.bu_id === null) throw new NotFoundError('E-mail message');
  await ctx.access.require('report.manage', row.bu_id, 'E-mail message');
  const now = ctx.clock.now();
  await db.transaction().execute(async (trx) => {
    if (!(await reviveOutboxMessage(trx, id, now))) {
      throw new ConflictError(`message is ${row.status}; only dead messages can be retried`, {
        messageStatus: row.status,
      });
    }
    await ctx.audit.record(
      { action: 'mail.retry', buId: row.bu_id, resourceType: 'mail_message', resourceId: id },
      trx,
    );
    await queue.enqueue(flushOutboxJob, {}, { transaction: trx });
  });
  return messageView((await findOutboxMessage(db, id))!);
}

/** The SMTP server in force at a unit, without its password. */
export interface SmtpView {
  /** `unit`: set here; `inherited`: set at an ancestor in reach; `above_scope`: set above the caller's reach; `installation`: the global default; `none`. */
  readonly source: 'unit' | 'inherited' | 'above_scope' | 'installation' | 'none';
  readonly sourceBuId: string | null;
  readonly host: string | null;
  readonly port: number | null;
  readonly security: SmtpSecurity | null;
  readonly username: string | null;
  readonly passwordSet: boolean;
}

/** Requires `report.manage`: mail server settings are administration, not report content. */
export async function getSmtp(ctx: ReportingContext, defaults: SmtpSettings | null, buId: string): Promise<SmtpView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const override = await nearestSmtpOverride(reportingDb(ctx.database), buId);
  if (override) {
    if (override.bu_id !== buId && !(await ctx.access.reaches(override.bu_id))) {
      return {
        source: 'above_scope',
        sourceBuId: null,
        host: null,
        port: null,
        security: null,
        username: null,
        passwordSet: false,
      };
    }
    return {
      source: override.bu_id === buId ? 'unit' : 'inherited',
      sourceBuId: override.bu_id,
      host: override.host,
      port: override.port,
      security: override.security,
      username: override.username,
      passwordSet: override.password_sealed !== null,
    };
  }
  if (!defaults)
    return {
      source: 'none',
      sourceBuId: null,
      host: null,
      port: null,
      security: null,
      username: null,
      passwordSet: false,
    };
  // The installation's server is the provider's: its details only for callers whose reach is a root unit.
  const scope = ctx.principal ? await findUnit(reportingDb(ctx.database), ctx.principal.scopeBuId) : undefined;
  if (!scope || scope.parent_id !== null) {
    return {
      source: 'installation',
      sourceBuId: null,
      host: null,
      port: null,
      security: null,
      username: null,
      passwordSet: false,
    };
  }
  return {
    source: 'installation',
    sourceBuId: null,
    host: defaults.host,
    port: defaults.port,
    security: defaults.security,
    username: defaults.username,
    passwordSet: defaults.password !== null,
  };
}

/**
 * Sets the unit's own SMTP server for its subtree (resellers with their own mail server).
 * The password is sealed at rest and never returned or logged. Requires `report.manage`.
 */
export async function setSmtp(
  ctx: ReportingContext,
  secrets: SecretSealer,
  defaults: SmtpSettings | null,
  buId: string,
  input: { host: unknown; port: unknown; security: unknown; username?: unknown; password?: unknown },
): Promise<SmtpView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  if (input.username !== undefined && input.username !== null && typeof input.username !== 'string') {
    throw new ValidationError('smtp.username must be a string');
  }
  if (input.password !== undefined && input.password !== null && typeof input.password !== 'string') {
    throw new ValidationError('smtp.password must be a string');
  }
  const settings = checkSmtpSettings({
    host: input.host as string,
    port: input.port as number,
    security: input.security as SmtpSecurity,
    username: (input.username as string | undefined) || null,
    password: (input.password as string | undefined) || null,
  });
  const now = ctx.clock.now();
  const db = reportingDb(ctx.database);
  await db.transaction().execute(async (trx) => {
    const row = {
      bu_id: buId,
      host: settings.host,
      port: settings.port,
      security: settings.security,
      username: settings.username,
      password_sealed: settings.password === null ? null : secrets.seal(settings.password, smtpSecretContext(buId)),
      updated_by: actorId(ctx),
      updated_at: now,
    };
    await trx
      .insertInto('smtp_overrides')
      .values(row)
      .onConflict((oc) => oc.column('bu_id').doUpdateSet(row))
      .execute();
    await ctx.audit.record(
      {
        action: 'smtp.update',
        buId,
        resourceType: 'smtp_settings',
        resourceId: buId,
        after: {
          host: settings.host,
          port: settings.port,
          security: settings.security,
          username: settings.username,
          passwordSet: settings.password !== null,
        },
      },
      trx,
    );
  });
  return getSmtp(ctx, defaults, buId);
}

/** Removes the unit's own SMTP server, so it inherits again. Requires `report.manage`. */
export async function clearSmtp(ctx: ReportingContext, defaults: SmtpSettings | null, buId: string): Promise<SmtpView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const result = await trx.deleteFrom('smtp_overrides').where('bu_id', '=', buId).executeTakeFirst();
      if (Number(result.numDeletedRows) > 0) {
        await ctx.audit.record({ action: 'smtp.clear', buId, resourceType: 'smtp_settings', resourceId: buId }, trx);
      }
    });
  return getSmtp(ctx, defaults, buId);
}
