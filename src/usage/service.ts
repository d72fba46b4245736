import type { RequestContext } from '../platform/index.ts';
import { pageSize, ValidationError } from '../platform/index.ts';
import { findRootUnits } from '../tenancy/index.ts';
import { type ChildUsageSort, childrenUsage } from './children-store.ts';
import { epochDayOf, formatDay, parseDay } from './days.ts';
import type { UsageFigures } from './figures.ts';
import { quotaState } from './quota.ts';
import { type Reconciliation, reconcileUsage, recordZoneMeasurement } from './reconciliation-store.ts';
import { subtreeUsageHistory, subtreeUsageNow, subtreeUsageOnDay } from './rollup-store.ts';

/** What usage services need from a request. */
export type UsageContext = Pick<RequestContext, 'principal' | 'access' | 'audit' | 'database' | 'clock'>;

/** Figures as the API shows them: integers (bytes may exceed 2^53 and are sent exactly), an ISO "as of". */
export interface FiguresView {
  protectedBytes: bigint;
  storedBytes: bigint;
  transferredBytes: bigint;
  snapshotCount: bigint;
  clientCount: bigint;
  dataSourceCount: bigint;
  /** Newest measurement included; null when nothing was measured. */
  asOf: string | null;
}

export function figuresView(figures: UsageFigures): FiguresView {
  return {
    protectedBytes: figures.protectedBytes,
    storedBytes: figures.storedBytes,
    transferredBytes: figures.transferredBytes,
    snapshotCount: figures.snapshotCount,
    clientCount: figures.clientCount,
    dataSourceCount: figures.dataSourceCount,
    asOf: figures.asOf === null ? null : new Date(figures.asOf).toISOString(),
  };
}

/**
 * A unit's consumption over its whole subtree, now or on a past `date`. Requires `bu.read`
 * on the unit: consumption is part of what anyone who sees the unit sees (status reports
 * carry it too); prices and bills need `billing.read`.
 */
export async function unitUsage(ctx: UsageContext, buId: string, date?: string) {
  await ctx.access.require('bu.read', buId, 'Business unit');
  if (date === undefined) return { buId, date: null, figures: figuresView(await subtreeUsageNow(ctx.database, buId)) };
  return { buId, date, figures: figuresView(await subtreeUsageOnDay(ctx.database, buId, pastDay(ctx, date))) };
}

/** A past (or today's) day from a `date` parameter; future days are refused. */
function pastDay(ctx: UsageContext, date: string): number {
  const day = parseDay(date, 'date');
  if (day > epochDayOf(ctx.clock.now())) throw new ValidationError('date must not be in the future', { field: 'date' });
  return day;
}

/**
 * The unit's direct children, each with the consumption of its whole subtree (now or on a
 * past `date`), largest first by `sort` (default stored bytes), paged by cursor. Requires
 * `bu.read` on the unit (its children are then within reach too).
 */
export async function unitChildrenUsage(
  ctx: UsageContext,
  buId: string,
  query: { date?: string; sort?: ChildUsageSort; limit?: number; cursor?: string },
) {
  await ctx.access.require('bu.read', buId, 'Business unit');
  const day = query.date === undefined ? null : pastDay(ctx, query.date);
  const sort = query.sort ?? 'storedBytes';
  const page = await childrenUsage(ctx.database, buId, {
    day,
    sort,
    limit: pageSize(query.limit),
    cursor: query.cursor,
  });
  return {
    buId,
    date: query.date ?? null,
    sort,
    items: page.items.map((c) => ({ buId: c.buId, name: c.name, code: c.code, figures: figuresView(c.figures) })),
    nextCursor: page.nextCursor,
  };
}

/** A unit's daily history from `from` to `to` (both included). Requires `bu.read`. */
export async function unitUsageHistory(ctx: UsageContext, buId: string, range: { from: string; to: string }) {
  await ctx.access.require('bu.read', buId, 'Business unit');
  const history = await subtreeUsageHistory(ctx.database, buId, parseDay(range.from, 'from'), parseDay(range.to, 'to'));
  return { buId, days: history.map((h) => ({ date: formatDay(h.day), ...figuresView(h.figures) })) };
}

/** A unit's storage quota state now. Requires `bu.read`. */
export async function unitQuota(ctx: UsageContext, buId: string) {
  await ctx.access.require('bu.read', buId, 'Business unit');
  const status = await quotaState(ctx.database, buId);
  return {
    buId,
    state: status.state,
    usedBytes: status.usedBytes,
    softBytes: status.softBytes,
    hardBytes: status.hardBytes,
    asOf: status.asOf === null ? null : new Date(status.asOf).toISOString(),
  };
}

/**
 * Installation-wide figures (unassigned data sources, zone totals) belong to its operators:
 * the caller must reach every root unit and hold `privilege` there. Others get "not found".
 */
async function requireOperator(ctx: UsageContext, privilege: string): Promise<void> {
  for (const root of await findRootUnits(ctx.database)) await ctx.access.require(privilege, root.id, 'Installation');
}

function reconciliationView(r: Reconciliation) {
  return {
    date: r.day === null ? null : formatDay(r.day),
    assigned: figuresView(r.assigned),
    unassigned: figuresView(r.unassigned),
    orphaned: figuresView(r.orphaned),
    total: figuresView(r.total),
    unassignedDataSources: r.unassignedDataSources.map((u) => ({
      dataSourceId: u.dataSourceId,
      storedBytes: u.storedBytes,
      protectedBytes: u.protectedBytes,
      asOf: new Date(u.asOf).toISOString(),
    })),
    zones: r.zones.map((z) => ({
      zone: z.zone,
      date: formatDay(z.day),
      measuredBytes: z.measuredBytes,
      accountedBytes: z.accountedBytes,
      unaccountedBytes: z.unaccountedBytes,
      asOf: new Date(z.asOf).toISOString(),
    })),
  };
}

/** The operator's reconciliation, now or for a past `date`. Requires `bu.read` over every root. */
export async function usageReconciliation(ctx: UsageContext, date?: string) {
  await requireOperator(ctx, 'bu.read');
  return reconciliationView(await reconcileUsage(ctx.database, date === undefined ? null : parseDay(date, 'date')));
}

/** Records a zone's measured size (storage infrastructure input). Requires `settings.update` over every root. */
export async function submitZoneMeasurement(
  ctx: UsageContext,
  input: { zone: string; measuredBytes: number; asOf?: string },
): Promise<{ zone: string; date: string; measuredBytes: number }> {
  await requireOperator(ctx, 'settings.update');
  const asOf = input.asOf === undefined ? ctx.clock.now() : Date.parse(input.asOf);
  if (!Number.isFinite(asOf)) throw new ValidationError('asOf must be a date-time', { field: 'asOf' });
  await recordZoneMeasurement(ctx.database, { zone: input.zone, measuredBytes: input.measuredBytes, asOf });
  await ctx.audit.record({
    action: 'usage.zone_measurement.record',
    buId: null,
    resourceType: 'usage_zone',
    resourceId: input.zone,
    after: { measuredBytes: input.measuredBytes, asOf: new Date(asOf).toISOString() },
  });
  return { zone: input.zone, date: formatDay(epochDayOf(asOf)), measuredBytes: input.measuredBytes };
}
