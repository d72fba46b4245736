import { billingBackground } from '../billing/index.ts';
import { createSecretBox, identityBackground, loadOrCreateSecretKey } from '../identity/index.ts';
import type { Clock, Config, Database, JobQueue, Logger } from '../platform/index.ts';
import { createDataSourceStatusProvider, protectionBackground, protectionEventSource } from '../protection/index.ts';
import {
  createReporting,
  reportingJobHandlers,
  reportingOptionsFromEnv,
  reportingSchedules,
} from '../reporting/index.ts';
import { usageBackground } from '../usage/index.ts';
import type { BackgroundContribution } from './background.ts';

/** What modules get to build their background work. */
export interface ModuleBackgroundDeps {
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queue: JobQueue;
  readonly config: Config;
}

/**
 * Every module's job handlers and recurring schedules, in one list (the counterpart of
 * routes.ts for background work).
 */
export function moduleBackground(deps: ModuleBackgroundDeps): BackgroundContribution[] {
  const reporting = createReporting({
    database: deps.database,
    clock: deps.clock,
    log: deps.log,
    queue: deps.queue,
    dataSources: createDataSourceStatusProvider(deps.database, { dataDir: deps.config.dataDir }),
    dataPathEvents: protectionEventSource(deps.database, deps.clock),
    secrets: createSecretBox(loadOrCreateSecretKey(deps.config.dataDir)),
    ...reportingOptionsFromEnv(process.env),
  });
  return [
    identityBackground(deps),
    protectionBackground(deps),
    usageBackground(deps),
    billingBackground(deps),
    { handlers: reportingJobHandlers(reporting), schedules: reportingSchedules },
  ];
}
