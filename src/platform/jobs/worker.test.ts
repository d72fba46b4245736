import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../../test/helpers/databases.ts';
import { type Clock, ManualClock, systemClock } from '../clock.ts';
import type { Database } from '../database/connect.ts';
import { LeaseLostError, PermanentJobError, WorkerStoppingError } from './errors.ts';
import { createJobQueue, type JobQueue } from './queue.ts';
import { jobsTestDatabases } from './test-databases.ts';
import type { Job } from './types.ts';
import { createWorker, type Worker, type WorkerOptions } from './worker.ts';

const workers: Worker[] = [];

function startWorker(options: WorkerOptions): Worker {
  const worker = createWorker({ pollIntervalMs: 10, ...options });
  workers.push(worker);
  worker.start();
  return worker;
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function waitForStatus(queue: JobQueue, id: string, status: Job['status']): Promise<Job> {
  return waitFor(async () => {
    const job = await queue.get(id);
    return job?.status === status ? job : undefined;
  }, `job ${id} to be ${status}`);
}

async function setup(
  create: () => Promise<TestDatabase>,
  clock: Clock = new ManualClock(Date.parse('2025-06-01T08:00:00Z')),
) {
  const database = await create();
  const queue = createJobQueue({ database, clock, random: () => 0 });
  return { database, clock, queue };
}

describeEachDatabase('job worker', (factory) => {
  const databases = jobsTestDatabases(factory);
  const create = () => databases.create();
  // Registered after the databases' hook, so it runs first: workers stop while their database is open.
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 0 })));
  });

  it('runs jobs, stores results, retries failures and buries unknown kinds', async () => {
    const { queue } = await setup(create);
    let flakyCalls = 0;
    startWorker({
      queue,
      handlers: {
        'math.add': async (job) => {
          const { a, b } = job.payload as { a: number; b: number };
          return { sum: a + b };
        },
        flaky: async () => {
          flakyCalls++;
          if (flakyCalls < 3) throw new Error(`transient ${flakyCalls}`);
          return 'third time lucky';
        },
        doomed: async () => {
          throw new PermanentJobError('payload names a deleted vault');
        },
      },
    });
    const add = await queue.enqueue('math.add', { a: 2, b: 3 });
    const flaky = await queue.enqueue('flaky', {});
    const doomed = await queue.enqueue('doomed', {});
    const unknown = await queue.enqueue('nobody.handles.this', {});

    expect(await waitForStatus(queue, add.id, 'succeeded')).toMatchObject({ result: { sum: 5 }, attempts: 1 });
    expect(await waitForStatus(queue, flaky.id, 'succeeded')).toMatchObject({
      result: 'third time lucky',
      attempts: 3,
      lastError: expect.stringMatching(/^Error: transient 2/),
    });
    expect(await waitForStatus(queue, doomed.id, 'dead')).toMatchObject({
      attempts: 1,
      lastError: expect.stringMatching(/^PermanentJobError: payload names a deleted vault/),
    });
    expect(await waitForStatus(queue, unknown.id, 'dead')).toMatchObject({
      lastError: expect.stringMatching(/no handler is registered for job kind 'nobody.handles.this'/),
    });
  });

  it('four workers on separate connections run 200 jobs, each exactly once', async () => {
    const { database, queue } = await setup(create, systemClock);
    for (let i = 0; i < 200; i++) await queue.enqueue('count', { i });
    const runs = new Map<string, number>();
    const handles: Database[] = [database, await database.reopen(), await database.reopen(), await database.reopen()];
    for (const handle of handles) {
      startWorker({
        queue: createJobQueue({ database: handle, clock: systemClock }),
        concurrency: 4,
        handlers: {
          count: async (job) => {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            await sleep(Math.random() * 3);
            return null;
          },
        },
      });
    }
    await waitFor(async () => (await queue.queueStats()).succeeded === 200, 'all 200 jobs to succeed', 30_000);
    expect(runs.size).toBe(200);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(await queue.queueStats()).toEqual({ queued: 0, running: 0, succeeded: 200, dead: 0, cancelled: 0 });
  });

  it('retries the job of a killed worker once its lease expires', async () => {
    const { database, clock, queue } = await setup(create);
    const manual = clock as ManualClock;
    const doomedProcess = await database.reopen();
    let started = false;
    startWorker({
      queue: createJobQueue({ database: doomedProcess, clock }),
      leaseMs: 30_000,
      heartbeatIntervalMs: 20,
      handlers: {
        backup: () => {
          started = true;
          return new Promise(() => {}); // the process dies before this ever settles
        },
      },
    });
    const job = await queue.enqueue('backup', {});
    await waitFor(async () => started, 'the first worker to start the job');
    await doomedProcess.close(); // "kill -9": its connections are gone, heartbeats fail

    manual.advance(30_001);
    startWorker({ queue, handlers: { backup: async () => 'done by the survivor' } });
    expect(await waitForStatus(queue, job.id, 'succeeded')).toMatchObject({
      result: 'done by the survivor',
      attempts: 2,
    });
  });

  it('a worker that stopped heartbeating cannot complete the job after another took it over', async () => {
    const { database, clock, queue } = await setup(create);
    const manual = clock as ManualClock;
    let finishStale: (value: string) => void = () => {};
    let staleSignal: AbortSignal | undefined;
    const stale = startWorker({
      queue: createJobQueue({ database: await database.reopen(), clock }),
      concurrency: 1, // busy with the hung job, so it cannot take it back itself
      leaseMs: 5_000,
      heartbeatIntervalMs: 3_600_000, // hung: never heartbeats in this test
      handlers: {
        export: (_job, context) => {
          staleSignal = context.signal;
          return new Promise((resolve) => {
            finishStale = resolve;
          });
        },
      },
    });
    const job = await queue.enqueue('export', {});
    await waitFor(async () => staleSignal !== undefined, 'the stale worker to start the job');
    manual.advance(5_001);

    startWorker({ queue, leaseMs: 5_000, handlers: { export: async () => 'fresh' } });
    await waitForStatus(queue, job.id, 'succeeded');
    finishStale('stale');
    await waitFor(async () => stale.inFlight === 0, 'the stale handler to settle');
    expect(await queue.get(job.id)).toMatchObject({ status: 'succeeded', result: 'fresh', attempts: 2 });
  });

  it('heartbeats keep a long job leased while other workers poll', async () => {
    const { database, clock, queue } = await setup(create);
    const manual = clock as ManualClock;
    let runs = 0;
    let finish: () => void = () => {};
    const handler = () => {
      runs++;
      return new Promise<string>((resolve) => {
        finish = () => resolve('long');
      });
    };
    const job = await queue.enqueue('long', {});
    startWorker({ queue, leaseMs: 1_000, heartbeatIntervalMs: 10, handlers: { long: handler } });
    await waitForStatus(queue, job.id, 'running');
    startWorker({
      queue: createJobQueue({ database: await database.reopen(), clock }),
      leaseMs: 1_000,
      handlers: { long: handler },
    });
    // Five leases' worth of time passes, in steps the heartbeat keeps up with.
    for (let step = 0; step < 12; step++) {
      manual.advance(400);
      const renewedUntil = clock.now() + 1_000;
      await waitFor(async () => ((await queue.get(job.id))?.leaseExpiresAt ?? 0) >= renewedUntil, 'a heartbeat');
    }
    finish();
    expect(await waitForStatus(queue, job.id, 'succeeded')).toMatchObject({ attempts: 1, result: 'long' });
    expect(runs).toBe(1);
  });

  it('aborts the handler when its lease is lost (job cancelled)', async () => {
    const { queue } = await setup(create);
    let reason: unknown;
    let heartbeatError: unknown;
    startWorker({
      queue,
      leaseMs: 60_000,
      heartbeatIntervalMs: 20,
      handlers: {
        restore: (_job, context) =>
          new Promise((_resolve, reject) => {
            context.signal.addEventListener('abort', () => {
              reason = context.signal.reason;
              context.heartbeat().catch((error: unknown) => {
                heartbeatError = error;
                reject(error);
              });
            });
          }),
      },
    });
    const job = await queue.enqueue('restore', {});
    await waitForStatus(queue, job.id, 'running');
    await queue.cancel(job.id);
    await waitFor(async () => heartbeatError !== undefined, 'the handler to see its lease lost');
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(heartbeatError).toBeInstanceOf(LeaseLostError);
    expect(await queue.get(job.id)).toMatchObject({ status: 'cancelled', lastError: null });
  });

  it('stop() lets running jobs finish within the grace period, then releases the rest', async () => {
    const { queue } = await setup(create);
    let stoppedWith: unknown;
    let finishQuick: () => void = () => {};
    const worker = startWorker({
      queue,
      concurrency: 2,
      handlers: {
        quick: () =>
          new Promise((resolve) => {
            finishQuick = () => resolve('finished');
          }),
        stubborn: (_job, context) =>
          new Promise(() => {
            context.signal.addEventListener('abort', () => {
              stoppedWith = context.signal.reason; // and keeps running regardless
            });
          }),
      },
    });
    const quick = await queue.enqueue('quick', {});
    const stubborn = await queue.enqueue('stubborn', {});
    await waitFor(async () => worker.inFlight === 2, 'both jobs to start');
    const stopping = worker.stop({ graceMs: 500 });
    finishQuick(); // finishes during the grace period
    await stopping;

    expect(await queue.get(quick.id)).toMatchObject({ status: 'succeeded', result: 'finished' });
    expect(stoppedWith).toBeInstanceOf(WorkerStoppingError);
    expect(await queue.get(stubborn.id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });

    // Another process picks the released job up at once; no lease has to expire first.
    startWorker({ queue, handlers: { stubborn: async () => 'second process' } });
    expect(await waitForStatus(queue, stubborn.id, 'succeeded')).toMatchObject({
      attempts: 1,
      result: 'second process',
    });
  });
});
