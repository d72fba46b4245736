import type { BillingContext } from '../../src/billing/index.ts';
import {
  type AccessGuard,
  type AuditEvent,
  type Database,
  ForbiddenError,
  ManualClock,
  NotFoundError,
} from '../../src/platform/index.ts';
import { epochDay, formatDay, msPerDay, recordConsumption } from '../../src/usage/index.ts';

export const GB = 1_000_000_000;

/**
 * A small access guard over the closure table and a privilege set, standing in for the
 * identity module's guard in service tests: outside the scope is "not found", a missing
 * privilege is "forbidden".
 */
export function subtreeGuard(database: Database, scopeBuId: string, privileges: ReadonlySet<string>): AccessGuard {
  const reaches = async (buId: string) => {
    const row = await database.kysely
      .withTables<{ bu_closure: { ancestor_id: string; descendant_id: string; depth: number } }>()
      .selectFrom('bu_closure')
      .select('depth')
      .where('ancestor_id', '=', scopeBuId)
      .where('descendant_id', '=', buId)
      .executeTakeFirst();
    return row !== undefined;
  };
  return {
    reaches,
    holds: (privilege) => privileges.has(privilege),
    async require(privilege, buId, what) {
      if (!(await reaches(buId))) throw new NotFoundError(what ?? 'Resource');
      if (!privileges.has(privilege)) throw new ForbiddenError(`missing privilege ${privilege}`);
    },
  };
}

export interface TestContext extends BillingContext {
  readonly clock: ManualClock;
  readonly audited: AuditEvent[];
}

/** A billing context for a caller scoped to `scopeBuId` (default privileges: billing read and manage). */
export function testContext(
  database: Database,
  scopeBuId: string,
  options: { privileges?: string[]; clock?: ManualClock } = {},
): TestContext {
  const audited: AuditEvent[] = [];
  const privileges = new Set(options.privileges ?? ['billing.read', 'billing.manage', 'bu.read']);
  return {
    principal: {
      kind: 'user',
      credentialId: 'session-test',
      userId: `user-${scopeBuId}`,
      scopeBuId,
      roleId: 'role-test',
      privileges,
      displayName: 'Test user',
    },
    access: subtreeGuard(database, scopeBuId, privileges),
    audit: {
      async record(event) {
        audited.push(event);
      },
    },
    database,
    clock: options.clock ?? new ManualClock(Date.UTC(2026, 0, 1)),
    audited,
  };
}

/** `YYYY-MM-DD` → epoch day. */
export function day(text: string): number {
  const [y, m, d] = text.split('-').map(Number);
  return epochDay(y ?? 0, m ?? 0, d ?? 0);
}

/** Epoch ms of a day at the given UTC hour. */
export function at(text: string, hour = 12): number {
  return day(text) * msPerDay + hour * 3_600_000;
}

/** Writes one sample per day in [from, to] for a data source, figures from `figures(date)`. */
export async function fillDays(
  database: Database,
  input: {
    dataSourceId: string;
    buId: string | (() => string);
    from: string;
    to: string;
    figures: (
      date: string,
      index: number,
    ) => {
      storedBytes: number;
      protectedBytes?: number;
      transferredBytes?: number;
      snapshotCount?: number;
      clientActive?: boolean;
    };
  },
): Promise<void> {
  for (let d = day(input.from), i = 0; d <= day(input.to); d++, i++) {
    const f = input.figures(formatDay(d), i);
    await recordConsumption(database, {
      dataSourceId: input.dataSourceId,
      buId: typeof input.buId === 'function' ? input.buId() : input.buId,
      day: d,
      storedBytes: f.storedBytes,
      protectedBytes: f.protectedBytes ?? f.storedBytes,
      transferredBytes: f.transferredBytes ?? 0,
      snapshotCount: f.snapshotCount ?? 0,
      clientActive: f.clientActive ?? true,
      asOf: d * msPerDay + 12 * 3_600_000,
    });
  }
}
