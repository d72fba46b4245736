import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { actorId, type ReportingContext } from './context.ts';
import { reportingDb } from './db.ts';
import { type ErrorDefinition, parseErrorDefinitionPatch } from './error-definition.ts';
import { parseSchedule, type ReportSchedule, type SendCondition, sendConditions } from './schedule.ts';
import { findUnit, findUserRecipients } from './subscriber-store.ts';
import { resolveSubscriber } from './subscribers.ts';
import {
  deleteSubscriptionRow,
  findSubscription,
  insertSubscription,
  type SubscriptionRow,
  subscriptionsAt,
  subscriptionsOnPath,
  updateSubscriptionRow,
} from './subscription-store.ts';
import type { ReportKind } from './tables.ts';
import { iso } from './time-format.ts';

/** A report subscription as the API shows it. */
export interface SubscriptionView {
  readonly id: string;
  readonly buId: string;
  readonly reportKind: ReportKind;
  readonly subscriber:
    | { readonly kind: 'user'; readonly userId: string; readonly email: string | null; readonly name: string | null }
    | { readonly kind: 'email'; readonly email: string };
  readonly enabled: boolean;
  readonly schedule: ReportSchedule;
  readonly sendCondition: SendCondition;
  /** The subscriber's own error rules over the unit's default; null: the default as is. */
  readonly errorDefinition: Partial<ErrorDefinition> | null;
  /** Set in effective listings: the subscription is set at an ancestor and covers this unit. */
  readonly inheritedFrom?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const reportKinds: readonly ReportKind[] = ['bu', 'server'];

function parseCondition(raw: unknown): SendCondition {
  if (!sendConditions.includes(raw as SendCondition)) {
    throw new ValidationError(`sendCondition must be one of ${sendConditions.join(', ')}`);
  }
  return raw as SendCondition;
}

async function views(ctx: ReportingContext, rows: readonly SubscriptionRow[]): Promise<SubscriptionView[]> {
  const users = new Map(
    (
      await findUserRecipients(
        reportingDb(ctx.database),
        rows.flatMap((r) => (r.user_id ? [r.user_id] : [])),
      )
    ).map((u) => [u.id, u]),
  );
  return rows.map((row) => {
    const user = row.user_id ? users.get(row.user_id) : undefined;
    return {
      id: row.id,
      buId: row.bu_id,
      reportKind: row.report_kind,
      subscriber: row.user_id
        ? { kind: 'user', userId: row.user_id, email: user?.email ?? null, name: user?.display_name ?? null }
        : { kind: 'email', email: row.email ?? '' },
      enabled: row.enabled === 1,
      schedule: JSON.parse(row.schedule) as ReportSchedule,
      sendCondition: row.send_condition as SendCondition,
      errorDefinition: row.error_definition ? (JSON.parse(row.error_definition) as Partial<ErrorDefinition>) : null,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  });
}

/** Input of {@link createSubscription}; validated here (the route schema checks only the shape). */
export interface SubscriptionInput {
  readonly subscriber: unknown;
  readonly reportKind?: unknown;
  readonly enabled?: unknown;
  readonly schedule: unknown;
  readonly sendCondition?: unknown;
  readonly errorDefinition?: unknown;
}

/**
 * Subscribes a user or an external address to the reports of `buId` (covering its subtree).
 * A subscription of the same subscriber lower in the tree overrides this one for that
 * subtree. Requires `report.manage`. Throws ValidationError, NotFoundError, ConflictError.
 */
export async function createSubscription(
  ctx: ReportingContext,
  buId: string,
  input: SubscriptionInput,
): Promise<SubscriptionView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const db = reportingDb(ctx.database);
  const kind = (input.reportKind ?? 'bu') as ReportKind;
  if (!reportKinds.includes(kind)) throw new ValidationError("reportKind must be 'bu' or 'server'");
  const schedule = parseSchedule(input.schedule);
  const condition = parseCondition(input.sendCondition ?? 'always');
  const errorDefinition =
    input.errorDefinition === undefined || input.errorDefinition === null
      ? null
      : parseErrorDefinitionPatch(input.errorDefinition);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    throw new ValidationError('enabled must be true or false');
  }
  const unit = await findUnit(db, buId);
  if (!unit) throw new NotFoundError('Business unit');
  if (kind === 'server' && unit.parent_id !== null) {
    throw new ValidationError('server reports are subscribed at the root business unit only');
  }
  const subscriber = await resolveSubscriber(ctx, db, buId, input.subscriber);
  const now = ctx.clock.now();
  const row: SubscriptionRow = {
    id: newId(now),
    bu_id: buId,
    report_kind: kind,
    subscriber_key: subscriber.key,
    user_id: subscriber.userId,
    email: subscriber.email,
    enabled: input.enabled === false ? 0 : 1,
    schedule: JSON.stringify(schedule),
    send_condition: condition,
    error_definition: errorDefinition ? JSON.stringify(errorDefinition) : null,
    created_by: actorId(ctx),
    created_at: now,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    if (!(await insertSubscription(trx, row))) {
      throw new ConflictError('this subscriber already has a subscription of this kind at this business unit');
    }
    await ctx.audit.record(
      {
        action: 'report_subscription.create',
        buId,
        resourceType: 'report_subscription',
        resourceId: row.id,
        after: { subscriber: subscriber.key, reportKind: kind, schedule, sendCondition: condition, errorDefinition },
      },
      trx,
    );
  });
  const [view] = await views(ctx, [row]);
  return view!;
}

/**
 * Subscriptions of `buId`. With `effective`, also those set at ancestors the caller can
 * reach that cover this unit (marked `inheritedFrom`), minus those overridden lower down.
 * Requires `report.read`.
 */
export async function listSubscriptions(
  ctx: ReportingContext,
  buId: string,
  options: { effective?: boolean; reportKind?: ReportKind } = {},
): Promise<SubscriptionView[]> {
  await ctx.access.require('report.read', buId, 'Business unit');
  const db = reportingDb(ctx.database);
  if (!options.effective) return views(ctx, await subscriptionsAt(db, buId, options.reportKind));
  const onPath = await subscriptionsOnPath(db, buId, options.reportKind ?? 'bu');
  const nearest = new Map<string, (typeof onPath)[number]>();
  for (const row of onPath) if (!nearest.has(row.subscriber_key)) nearest.set(row.subscriber_key, row);
  const visible = [];
  for (const row of nearest.values()) if (await ctx.access.reaches(row.bu_id)) visible.push(row);
  const result = await views(ctx, visible);
  return result.map((view) => (view.buId === buId ? view : { ...view, inheritedFrom: view.buId }));
}

async function loadForCaller(ctx: ReportingContext, id: string, privilege: string): Promise<SubscriptionRow> {
  const row = await findSubscription(reportingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Report subscription');
  await ctx.access.require(privilege, row.bu_id, 'Report subscription');
  return row;
}

export async function getSubscription(ctx: ReportingContext, id: string): Promise<SubscriptionView> {
  const row = await loadForCaller(ctx, id, 'report.read');
  const [view] = await views(ctx, [row]);
  return view!;
}

/** Changes schedule, condition, error rules or enabled; absent fields stay. Requires `report.manage`. */
export async function updateSubscription(
  ctx: ReportingContext,
  id: string,
  patch: Omit<Partial<SubscriptionInput>, 'subscriber' | 'reportKind'>,
): Promise<SubscriptionView> {
  const row = await loadForCaller(ctx, id, 'report.manage');
  const values: Parameters<typeof updateSubscriptionRow>[2] = {};
  if (patch.schedule !== undefined) values.schedule = JSON.stringify(parseSchedule(patch.schedule));
  if (patch.sendCondition !== undefined) values.send_condition = parseCondition(patch.sendCondition);
  if (patch.errorDefinition !== undefined) {
    values.error_definition =
      patch.errorDefinition === null ? null : JSON.stringify(parseErrorDefinitionPatch(patch.errorDefinition));
  }
  if (patch.enabled !== undefined) {
    if (typeof patch.enabled !== 'boolean') throw new ValidationError('enabled must be true or false');
    values.enabled = patch.enabled ? 1 : 0;
  }
  const now = ctx.clock.now();
  values.updated_at = now;
  const db = reportingDb(ctx.database);
  await db.transaction().execute(async (trx) => {
    await updateSubscriptionRow(trx, id, values);
    await ctx.audit.record(
      {
        action: 'report_subscription.update',
        buId: row.bu_id,
        resourceType: 'report_subscription',
        resourceId: id,
        before: {
          enabled: row.enabled === 1,
          schedule: JSON.parse(row.schedule),
          sendCondition: row.send_condition,
          errorDefinition: row.error_definition ? JSON.parse(row.error_definition) : null,
        },
        after: {
          enabled: (values.enabled ?? row.enabled) === 1,
          schedule: JSON.parse(values.schedule ?? row.schedule),
          sendCondition: values.send_condition ?? row.send_condition,
          errorDefinition: JSON.parse(
            (values.error_definition !== undefined ? values.error_definition : row.error_definition) ?? 'null',
          ),
        },
      },
      trx,
    );
  });
  return getSubscription(ctx, id);
}

export async function deleteSubscription(ctx: ReportingContext, id: string): Promise<void> {
  const row = await loadForCaller(ctx, id, 'report.manage');
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await deleteSubscriptionRow(trx, id);
      await ctx.audit.record(
        {
          action: 'report_subscription.delete',
          buId: row.bu_id,
          resourceType: 'report_subscription',
          resourceId: id,
          before: { subscriber: row.subscriber_key, reportKind: row.report_kind },
        },
        trx,
      );
    });
}
