import { setTimeout as sleep } from 'node:timers/promises';
import { openRepository } from '../engine/index.ts';
import { AgentApi, type AgentJob, type JobOutcome } from './agent-api.ts';
import { runBackupJob } from './backup-job.ts';
import { type AgentCredentials, agentKeyOf, readCredentials, writeCredentials } from './credentials.ts';
import { HttpBlobStore, JobCancelledError } from './http-blob-store.ts';
import { ServerConnection, ServerError } from './http-client.ts';
import { runRestoreJob } from './restore-job.ts';
import { addRecoverySlot, setUpVault } from './vault-setup.ts';

/** Options of `coffer agent run`. */
export interface DaemonOptions {
  readonly directory: string;
  /** Seconds each long-poll waits for a job. */
  readonly waitSeconds?: number;
  /** Handle the jobs due now, then return (instead of running forever). */
  readonly once?: boolean;
  readonly recoveryPassphrase?: string;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

function describe(error: unknown): string {
  if (error instanceof ServerError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  return (error as Error).message ?? String(error);
}

/**
 * The agent daemon: long-polls the server for due jobs, runs them one at a time, streams
 * progress and reports each outcome. Network failures are retried; a job that fails is
 * reported as failed with its reason, and the loop carries on.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let credentials = readCredentials(options.directory);
  const connection = new ServerConnection({
    url: credentials.serverUrl,
    pins: credentials.pins,
    credential: credentials.credential,
    retryForMs: 5 * 60_000,
  });
  const api = new AgentApi(connection);
  try {
    credentials = await setUpVault(api, credentials, null, options.recoveryPassphrase);
    log(`agent ${credentials.name} (${credentials.dataSourceId}) connected to ${credentials.serverUrl}`);
    while (!options.signal?.aborted) {
      let poll: Awaited<ReturnType<AgentApi['poll']>>;
      try {
        poll = await api.poll(options.once ? 0 : (options.waitSeconds ?? 30));
        credentials = await keepUp(api, credentials, poll.recoveryKey, options.directory, log);
      } catch (error) {
        // A revoked credential or a foreign certificate will not heal by waiting.
        if (options.once || !(error instanceof ServerError) || error.status === 401) throw error;
        log(`poll failed: ${describe(error)}; retrying in 5 s`);
        await sleep(5000);
        continue;
      }
      for (const job of poll.jobs) {
        if (options.signal?.aborted) break;
        await handle(api, credentials, job, options.recoveryPassphrase, log);
      }
      if (options.once) break;
    }
  } finally {
    connection.close();
  }
}

/** Adds a recovery slot once the unit has a recovery key, and pins the successor certificate the server announces. */
async function keepUp(
  api: AgentApi,
  credentials: AgentCredentials,
  recoveryKey: { id: string; publicKey: string } | null,
  directory: string,
  log: (line: string) => void,
): Promise<AgentCredentials> {
  let next = credentials;
  if (recoveryKey && credentials.recoveryKeyId === null) {
    const repository = await openRepository(new HttpBlobStore(api.connection, credentials.vaultId), {
      key: agentKeyOf(credentials),
    });
    next = await addRecoverySlot(repository, api, next, recoveryKey);
    log(`vault wrapped to the unit recovery key ${recoveryKey.id}`);
  }
  if (next.pins.length > 0) {
    // Learnt over the pinned connection, so an announced successor can be trusted.
    const announced = await api.serverCertificate();
    const successor = announced.next?.fingerprint256;
    if (successor && !next.pins.includes(successor)) {
      next = { ...next, pins: [...next.pins, successor] };
      api.connection.addPin(successor);
      log(`the server announced its next certificate ${successor}; pinned it too`);
    }
  }
  if (next !== credentials) writeCredentials(directory, next);
  return next;
}

/** Whether `error`, or an error it wraps, says the job was cancelled on the server. */
function causedByCancellation(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof JobCancelledError) return true;
    current = current.cause;
  }
  return false;
}

async function handle(
  api: AgentApi,
  credentials: AgentCredentials,
  job: AgentJob,
  recoveryPassphrase: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  let started: AgentJob;
  try {
    started = await api.start(job.id);
  } catch (error) {
    log(`job ${job.id} not started: ${describe(error)}`);
    return;
  }
  log(`job ${job.id}: ${started.kind} started (attempt ${started.attempt})`);
  let outcome: JobOutcome;
  try {
    outcome =
      started.kind === 'backup'
        ? await runBackupJob(api, credentials, started, log)
        : await runRestoreJob(api, credentials, started, recoveryPassphrase);
  } catch (error) {
    if (causedByCancellation(error)) {
      // The server already recorded the job as cancelled; there is no outcome to report.
      log(`job ${job.id}: cancelled on the server; stopped`);
      return;
    }
    outcome = { outcome: 'failed', error: describe(error) };
  }
  try {
    await api.finish(job.id, outcome);
  } catch (error) {
    log(`job ${job.id}: outcome not recorded: ${describe(error)}`);
  }
  log(
    `job ${job.id}: ${outcome.outcome}${outcome.snapshotId ? ` snapshot ${outcome.snapshotId.slice(0, 12)}` : ''}${outcome.error ? `: ${outcome.error}` : ''}${outcome.warnings?.length ? ` (${outcome.warnings.length} warnings)` : ''}`,
  );
}
