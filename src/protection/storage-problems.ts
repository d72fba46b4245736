import type { Clock, Database, Logger } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import type { BlobInfo, BlobStore, GetOptions } from '../storage/index.ts';
import { protectionDb } from './db.ts';
import { storageProblemKind } from './storage-errors.ts';
import type { StorageProblemTable } from './tables.ts';

/** Repeats of one problem on one zone closer together than this fold into one row. */
const foldWindowMs = 15 * 60_000;
const maxMessageLength = 500;

type Operation = 'put' | 'get' | 'head' | 'list' | 'delete';

/** A zone store that tells `onProblem` of every failure that is a storage problem, then rethrows it. */
export class ProblemReportingBlobStore implements BlobStore {
  readonly #inner: BlobStore;
  readonly #onProblem: (operation: Operation, key: string, error: unknown) => Promise<void>;

  constructor(inner: BlobStore, onProblem: (operation: Operation, key: string, error: unknown) => Promise<void>) {
    this.#inner = inner;
    this.#onProblem = onProblem;
  }

  async #watch<T>(operation: Operation, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (storageProblemKind(error)) await this.#onProblem(operation, key, error);
      throw error;
    }
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.#watch('put', key, () => this.#inner.put(key, data));
  }

  get(key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.#watch('get', key, () => this.#inner.get(key, options));
  }

  head(key: string): Promise<BlobInfo | undefined> {
    return this.#watch('head', key, () => this.#inner.head(key));
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    try {
      yield* this.#inner.list(prefix);
    } catch (error) {
      if (storageProblemKind(error)) await this.#onProblem('list', prefix, error);
      throw error;
    }
  }

  delete(key: string): Promise<void> {
    return this.#watch('delete', key, () => this.#inner.delete(key));
  }
}

function describe(operation: Operation, key: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `${operation} ${key}: ${reason}`.slice(0, maxMessageLength);
}

/**
 * Records a storage problem of `zoneId`. A repeat of the same kind on the same zone within
 * the fold window updates that row (count, last time, latest message) instead of adding one,
 * so a zone that is down while a hundred agents retry is one line in a report, not thousands.
 */
export async function recordStorageProblem(
  database: Database,
  input: { zoneId: string; operation: Operation; key: string; error: unknown; at: number },
): Promise<void> {
  const kind = storageProblemKind(input.error);
  if (!kind) return;
  const db = protectionDb(database);
  const message = describe(input.operation, input.key, input.error);
  const recent = await db
    .selectFrom('protection_storage_problems')
    .select('id')
    .where('zone_id', '=', input.zoneId)
    .where('kind', '=', kind)
    .where('last_at', '>=', input.at - foldWindowMs)
    .orderBy('last_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (recent) {
    await db
      .updateTable('protection_storage_problems')
      .set((eb) => ({
        last_at: input.at,
        message,
        operation: input.operation,
        occurrences: eb('occurrences', '+', 1),
      }))
      .where('id', '=', recent.id)
      .execute();
    return;
  }
  await db
    .insertInto('protection_storage_problems')
    .values({
      id: newId(input.at),
      zone_id: input.zoneId,
      kind,
      operation: input.operation,
      message,
      first_at: input.at,
      last_at: input.at,
      occurrences: 1,
    })
    .execute();
}

/**
 * Wraps zone stores so their failures are recorded before the caller sees them (one small
 * write on a path that is failing anyway). Recording never changes the caller's error: a
 * failure to record is only logged.
 */
export function storageProblemRecorder(deps: { database: Database; clock: Clock; log: Logger }) {
  return (zoneId: string, store: BlobStore): BlobStore =>
    new ProblemReportingBlobStore(store, async (operation, key, error) => {
      deps.log.warn({ zone: zoneId, operation, key, err: error }, 'storage zone problem');
      try {
        await recordStorageProblem(deps.database, { zoneId, operation, key, error, at: deps.clock.now() });
      } catch (recordError) {
        deps.log.error({ err: recordError, zone: zoneId }, 'storage problem not recorded');
      }
    });
}

/** A recorded problem with its zone's name. */
export interface StorageProblemView extends StorageProblemTable {
  readonly zone_name: string | null;
}

/** Problems whose span overlaps [since, until], newest first. */
export async function listStorageProblems(
  database: Database,
  since: number,
  until: number,
  limit = 200,
): Promise<StorageProblemView[]> {
  return protectionDb(database)
    .selectFrom('protection_storage_problems as p')
    .leftJoin('protection_zones as z', 'z.id', 'p.zone_id')
    .selectAll('p')
    .select('z.name as zone_name')
    .where('p.last_at', '>=', since)
    .where('p.first_at', '<=', until)
    .orderBy('p.last_at', 'desc')
    .limit(limit)
    .execute();
}
