import {
  createJobQueue,
  createLogger,
  loadConfig,
  migrateToLatest,
  openDatabase,
  systemClock,
} from '../platform/index.ts';
import { type RebuildReport, rebuildIndexes } from './rebuild.ts';
import { runtimeFor } from './server-deps.ts';

/**
 * `coffer admin rebuild-index`: rebuilds the blob index and snapshot catalog of every
 * vault (or one) from the zones alone, with the server's configuration (COFFER_* variables).
 * Stop the server first, or run it when no backup is in flight.
 */
export async function runRebuildIndexCommand(options: {
  vaultId?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RebuildReport[]> {
  const config = loadConfig(options.env ?? process.env);
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database.kysely);
    const log = createLogger({ level: 'warn', destination: process.stderr });
    const rt = runtimeFor({
      config,
      database,
      clock: systemClock,
      log,
      queue: createJobQueue({ database, clock: systemClock }),
    });
    return await rebuildIndexes(rt, options.vaultId);
  } finally {
    await database.close();
  }
}
