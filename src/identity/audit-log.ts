import { NotFoundError, type RequestContext, ValidationError } from '../platform/index.ts';
import {
  type AuditEntry,
  auditCsvHeader,
  auditCsvRow,
  type ChainVerification,
  toAuditEntry,
  verifyAuditChain,
} from './audit.ts';
import { type AuditFilter, type AuditRow, queryAudit } from './audit-store.ts';
import { decodeCursor, encodeCursor, principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { rootOf } from './unit-store.ts';

export interface AuditQuery {
  buId: string;
  action?: string;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  /** ISO instants; `to` is exclusive. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

function instant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) throw new ValidationError(`${field} must be an ISO 8601 instant`, { field });
  return at;
}

async function filterFor(
  rt: IdentityRuntime,
  ctx: RequestContext,
  query: AuditQuery,
  limit: number,
): Promise<AuditFilter> {
  await ctx.access.require('audit.read', query.buId);
  const cursor = decodeCursor(query.cursor);
  const beforeSeq = cursor === undefined ? undefined : Number(cursor);
  if (beforeSeq !== undefined && !Number.isSafeInteger(beforeSeq))
    throw new ValidationError('cursor is not valid', { field: 'cursor' });
  const from = instant(query.from, 'from');
  const to = instant(query.to, 'to');
  return {
    buId: query.buId,
    includeUnplaced: (await rootOf(rt.db, query.buId)) === query.buId,
    limit,
    ...(query.action ? { action: query.action } : {}),
    ...(query.actorId ? { actorId: query.actorId } : {}),
    ...(query.resourceType ? { resourceType: query.resourceType } : {}),
    ...(query.resourceId ? { resourceId: query.resourceId } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(beforeSeq !== undefined ? { beforeSeq } : {}),
  };
}

/** One page of the audit log of a subtree, newest first. */
export async function listAudit(
  rt: IdentityRuntime,
  ctx: RequestContext,
  query: AuditQuery,
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const filter = await filterFor(rt, ctx, query, query.limit ?? 50);
  const { rows, more } = await queryAudit(rt.db, filter);
  const last = rows[rows.length - 1];
  return { items: rows.map(toAuditEntry), nextCursor: more && last ? encodeCursor(last.seq) : null };
}

const exportPage = 1000;

/** Every matching entry, newest first, as CSV or JSON text chunks (read page by page, never all at once). */
export async function exportAudit(
  rt: IdentityRuntime,
  ctx: RequestContext,
  query: Omit<AuditQuery, 'limit' | 'cursor'>,
  format: 'csv' | 'json',
): Promise<AsyncGenerator<string>> {
  const filter = await filterFor(rt, ctx, query, exportPage);
  async function* chunks(): AsyncGenerator<string> {
    yield format === 'csv' ? auditCsvHeader() : '[';
    let first = true;
    let page: { rows: AuditRow[]; more: boolean };
    let beforeSeq: number | undefined;
    do {
      page = await queryAudit(rt.db, { ...filter, ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
      for (const row of page.rows) {
        if (format === 'csv') yield auditCsvRow(row);
        else {
          yield `${first ? '' : ','}\n${JSON.stringify(toAuditEntry(row))}`;
          first = false;
        }
      }
      beforeSeq = page.rows[page.rows.length - 1]?.seq;
    } while (page.more);
    if (format === 'json') yield '\n]\n';
  }
  return chunks();
}

/**
 * Verifies the whole hash chain. The chain spans every tenant, so only principals whose
 * scope is a root unit (the provider's own staff) may run it; others get not found.
 */
export async function verifyAudit(rt: IdentityRuntime, ctx: RequestContext): Promise<ChainVerification> {
  const principal = principalOf(ctx);
  const root = await rootOf(rt.db, principal.scopeBuId);
  if (root !== principal.scopeBuId) throw new NotFoundError('Audit chain');
  await ctx.access.require('audit.read', root);
  return verifyAuditChain(rt.db);
}
