import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { type EventInput, recordEvent } from './events.ts';

/**
 * Another module's event outbox that reporting drains (usage's quota changes, billing's
 * posted runs). `pending` maps each undelivered item to a reporting event (null: nothing to
 * report); items are marked delivered only after their events are stored.
 */
export interface ExternalEventSource {
  /** Short name, part of each event's dedup key. */
  readonly name: string;
  pending(limit: number): Promise<readonly { readonly id: string; readonly event: EventInput | null }[]>;
  markDelivered(ids: readonly string[]): Promise<void>;
}

/**
 * Moves pending events of every source into reporting. A crash between storing and marking
 * delivered repeats the batch; the `<source>:<id>` source key makes the repeat a no-op.
 */
export async function pumpEvents(deps: ReportingDeps, sources: readonly ExternalEventSource[]): Promise<number> {
  const db = reportingDb(deps.database);
  let recorded = 0;
  for (const source of sources) {
    for (let round = 0; round < 20; round++) {
      const batch = await source.pending(100);
      if (batch.length === 0) break;
      for (const item of batch) {
        if (!item.event) continue;
        const { created } = await recordEvent(
          db,
          deps.queue,
          { ...item.event, sourceKey: `${source.name}:${item.id}` },
          deps.clock.now(),
        );
        if (created) recorded++;
      }
      await source.markDelivered(batch.map((item) => item.id));
      if (batch.length < 100) break;
    }
  }
  return recorded;
}
