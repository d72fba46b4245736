import { markBillingEventsDelivered, pendingBillingEvents } from '../../billing/index.ts';
import type { Clock, Database } from '../../platform/index.ts';
import type { ExternalEventSource } from '../event-sources.ts';

/**
 * Billing's posted runs as `billing.run_posted` notices (subject: the run; unit: the seller),
 * for e-mail alert subscribers and webhooks (invoicing/ERP systems). Other billing events
 * (corrections) are acknowledged without a notice.
 */
export function billingEventSource(database: Database, clock: Clock): ExternalEventSource {
  return Object.freeze({
    name: 'billing',
    async pending(limit: number) {
      const events = await pendingBillingEvents(database, limit);
      return events.map((event) => {
        const payload = (event.payload ?? {}) as {
          runId?: string;
          runDate?: string;
          lineCount?: number;
          totals?: Record<string, string>;
        };
        if (event.kind !== 'billing.run.posted' || !event.buId || typeof payload.runId !== 'string') {
          return { id: event.id, event: null };
        }
        const totals = Object.entries(payload.totals ?? {})
          .map(([currency, minor]) => `${currency} ${minor}`)
          .join(', ');
        return {
          id: event.id,
          event: {
            type: 'billing.run_posted' as const,
            buId: event.buId,
            subjectId: payload.runId,
            subjectName: `billing run ${payload.runDate ?? payload.runId}`,
            occurredAt: event.createdAt,
            details: {
              runId: payload.runId,
              runDate: payload.runDate ?? '',
              lines: payload.lineCount ?? 0,
              totalsMinorUnits: totals,
            },
          },
        };
      });
    },
    markDelivered: (ids: readonly string[]) => markBillingEventsDelivered(database, ids, clock.now()),
  });
}
