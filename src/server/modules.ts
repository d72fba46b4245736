import { identityBackground } from '../identity/index.ts';
import type { Clock, Config, Database, JobQueue, Logger } from '../platform/index.ts';
import { protectionBackground } from '../protection/index.ts';
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
  return [identityBackground(deps), protectionBackground(deps)];
}
