import { openIncidentSubjects } from './alert-store.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { recordEvent } from './events.ts';

/**
 * Raises `agent.offline` for every data source whose agent has been silent longer than the
 * inherited `agentOfflineHours` of its unit, and `agent.online` when an agent with an open
 * offline incident is heard from again. Each raise is keyed by the agent's last-seen time,
 * so repeated checks add nothing until that time changes. Returns the number of events raised.
 */
export async function checkAgents(deps: ReportingDeps): Promise<number> {
  const db = reportingDb(deps.database);
  const now = deps.clock.now();
  const roots = await db.selectFrom('business_units').select('id').where('parent_id', 'is', null).execute();
  const offlineOpen = new Set(await openIncidentSubjects(db, 'agent.offline'));
  const limits = new Map<string, number>();
  let raised = 0;
  for (const root of roots) {
    for (const source of await deps.dataSources.listForSubtree(root.id, now)) {
      if (source.agentLastSeenAt === null) continue;
      let hours = limits.get(source.buId);
      if (hours === undefined) {
        hours = await deps.settings.agentOfflineHoursFor(source.buId);
        limits.set(source.buId, hours);
      }
      const silentMs = now - source.agentLastSeenAt;
      const offline = silentMs > hours * 3_600_000;
      if (offline === offlineOpen.has(source.id)) continue;
      const type = offline ? 'agent.offline' : 'agent.online';
      const { created } = await recordEvent(
        db,
        deps.queue,
        {
          type,
          buId: source.buId,
          subjectId: source.id,
          subjectName: source.name,
          occurredAt: offline ? source.agentLastSeenAt + hours * 3_600_000 : source.agentLastSeenAt,
          details: offline
            ? { lastSeen: new Date(source.agentLastSeenAt).toISOString(), thresholdHours: hours }
            : { lastSeen: new Date(source.agentLastSeenAt).toISOString() },
          sourceKey: `${type}:${source.id}:${source.agentLastSeenAt}`,
        },
        now,
      );
      if (created) raised++;
    }
  }
  return raised;
}
