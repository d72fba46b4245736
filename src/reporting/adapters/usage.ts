import type { Clock, Database } from '../../platform/index.ts';
import type { TenancyTables } from '../../tenancy/index.ts';
import {
  markUsageEventsDelivered,
  parseDay,
  pendingUsageEvents,
  type QuotaChange,
  quotaState,
  reconcileUsage,
  subtreeUsageOnDay,
} from '../../usage/index.ts';
import type { ExternalEventSource } from '../event-sources.ts';
import type { EventType } from '../events.ts';
import type { ConsumptionFigures, QuotaEntry, UnassignedDataSource, UsageProvider } from '../report-model.ts';

function units(database: Database) {
  return database.kysely.withTables<TenancyTables>();
}

/**
 * Report figures from the usage module: a subtree's consumption on a day (usage counts UTC
 * days; a report's local day reads the UTC day of the same date), quota states of the units
 * of a subtree that have a quota, and the installation's reconciliation.
 */
export function usageModuleProvider(database: Database): UsageProvider {
  return Object.freeze({
    async subtreeFigures(buId: string, date: string): Promise<ConsumptionFigures | null> {
      const figures = await subtreeUsageOnDay(database, buId, parseDay(date));
      if (figures.asOf === null) return null;
      return {
        protectedBytes: Number(figures.protectedBytes),
        storedBytes: Number(figures.storedBytes),
        transferredBytes: Number(figures.transferredBytes),
        clients: Number(figures.clientCount),
        snapshots: Number(figures.snapshotCount),
        asOf: figures.asOf,
      };
    },

    async quotaStates(buId: string): Promise<readonly QuotaEntry[]> {
      // Units whose own quota is set (or inherited and evaluated): usage records a state row per unit it evaluated.
      const rows = await units(database)
        .selectFrom('bu_closure')
        .innerJoin('business_units as u', 'u.id', 'bu_closure.descendant_id')
        .innerJoin('bu_settings as s', 's.bu_id', 'u.id')
        .select(['u.id', 'u.name'])
        .where('bu_closure.ancestor_id', '=', buId)
        .where('s.key', '=', 'quota.storage')
        .execute();
      const entries: QuotaEntry[] = [];
      for (const row of rows) {
        const status = await quotaState(database, row.id);
        if (status.softBytes === null && status.hardBytes === null) continue;
        entries.push({
          buId: row.id,
          buName: row.name,
          state: status.state,
          usedBytes: Number(status.usedBytes),
          softLimitBytes: status.softBytes,
          hardLimitBytes: status.hardBytes,
        });
      }
      return entries;
    },

    async licence() {
      const reconciliation = await reconcileUsage(database);
      const unaccounted = reconciliation.zones.reduce((sum, zone) => sum + Number(zone.unaccountedBytes), 0);
      return {
        storedBytes: Number(reconciliation.total.storedBytes),
        licensedBytes: null,
        unaccountedBytes: unaccounted,
      };
    },

    async unassignedDataSources(): Promise<readonly UnassignedDataSource[]> {
      const reconciliation = await reconcileUsage(database);
      return reconciliation.unassignedDataSources.map((source) => ({
        id: source.dataSourceId,
        name: source.dataSourceId,
        storedBytes: Number(source.storedBytes),
        since: source.asOf,
      }));
    },
  });
}

const quotaEvents: Readonly<Record<string, EventType>> = {
  ok: 'quota.ok',
  soft_exceeded: 'quota.soft_exceeded',
  hard_exceeded: 'quota.hard_exceeded',
};

/** Usage's quota state changes as reporting events (subject: the unit whose quota changed). */
export function usageEventSource(database: Database, clock: Clock): ExternalEventSource {
  return Object.freeze({
    name: 'usage',
    async pending(limit: number) {
      const events = await pendingUsageEvents(database, limit);
      const result = [];
      for (const event of events) {
        if (event.kind !== 'quota.state_changed' || !event.buId) {
          result.push({ id: event.id, event: null });
          continue;
        }
        const change = event.payload as QuotaChange;
        const type = quotaEvents[change.to];
        const unit = await units(database)
          .selectFrom('business_units')
          .select('name')
          .where('id', '=', event.buId)
          .executeTakeFirst();
        result.push({
          id: event.id,
          event:
            type && unit
              ? {
                  type,
                  buId: event.buId,
                  subjectId: event.buId,
                  subjectName: unit.name,
                  occurredAt: event.createdAt,
                  details: {
                    from: change.from,
                    to: change.to,
                    usedBytes: change.usedBytes,
                    softBytes: change.softBytes,
                    hardBytes: change.hardBytes,
                  },
                }
              : null,
        });
      }
      return result;
    },
    markDelivered: (ids: readonly string[]) => markUsageEventsDelivered(database, ids, clock.now()),
  });
}
