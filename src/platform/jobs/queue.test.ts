import { expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../../test/helpers/databases.ts';
import { ManualClock } from '../clock.ts';
import type { Database } from '../database/connect.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { PermanentJobError } from './errors.ts';
import { createJobQueue, type JobQueue, type JobQueueOptions } from './queue.ts';
import { jobsTestDatabases } from './test-databases.ts';

const start = Date.parse('2025-06-01T08:00:00Z');

async function setup(create: () => Promise<TestDatabase>, options: Partial<JobQueueOptions> = {}) {
  const database = await create();
  const clock = new ManualClock(start);
  const queue = createJobQueue({ database, clock, workerId: 'test', ...options });
  return { database, clock, queue };
}

/** Claims one at a time until the queue has nothing due; returns the ids in claim order. */
async function drain(queue: JobQueue): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    if (!claimed) return ids;
    ids.push(claimed.job.id);
    await queue.complete(claimed.lease, null);
  }
}

describeEachDatabase('job queue', (factory) => {
  const databases = jobsTestDatabases(factory);
  const create = () => databases.create();

  it('enqueues a job with defaults and reads it back', async () => {
    const { queue } = await setup(create);
    const job = await queue.enqueue('report.daily', { unit: 'bu-1', days: [1, 2] });
    expect(job).toMatchObject({
      kind: 'report.daily',
      payload: { unit: 'bu-1', days: [1, 2] },
      status: 'queued',
      priority: 0,
      runAt: start,
      attempts: 0,
      maxAttempts: 5,
      leaseOwner: null,
      idempotencyKey: null,
      createdAt: start,
    });
    expect(await queue.get(job.id)).toEqual(job);
    expect(await queue.get('no-such-job')).toBeUndefined();
  });

  it('refuses bad input with ValidationError', async () => {
    const { queue } = await setup(create);
    await expect(queue.enqueue('', {})).rejects.toThrow(ValidationError);
    await expect(queue.enqueue('has space', {})).rejects.toThrow(/job kind/);
    await expect(queue.enqueue('k', undefined)).rejects.toThrow(/payload must be JSON/);
    await expect(queue.enqueue('k', { n: 1n })).rejects.toThrow(/payload must be JSON/);
    await expect(queue.enqueue('k', {}, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    await expect(queue.enqueue('k', {}, { priority: 1.5 })).rejects.toThrow(/priority/);
    await expect(queue.enqueue('k', {}, { idempotencyKey: '' })).rejects.toThrow(/idempotencyKey/);
    await expect(queue.list({ limit: 0 })).rejects.toThrow(/limit/);
  });

  it('keeps a job across a process restart', async () => {
    const first = await databases.fresh();
    const clock = new ManualClock(start);
    const job = await createJobQueue({ database: first, clock }).enqueue('vault.verify', { vault: 'v1' });
    await first.close();

    const second = await first.reopen();
    const queue = createJobQueue({ database: second, clock });
    const [claimed] = await queue.claim({ limit: 5, leaseMs: 30_000 });
    expect(claimed?.job).toMatchObject({ id: job.id, payload: { vault: 'v1' }, status: 'running', attempts: 1 });
    expect(await queue.complete(claimed!.lease, { verified: 3 })).toBe(true);
    expect(await queue.get(job.id)).toMatchObject({ status: 'succeeded', result: { verified: 3 }, finishedAt: start });
  });

  it('returns the existing job for a repeated idempotency key, also under concurrency', async () => {
    const { database, clock, queue } = await setup(create);
    const first = await queue.enqueue('billing.run', { month: '2025-05' }, { idempotencyKey: 'billing:2025-05' });
    const again = await queue.enqueue('billing.run', { month: 'ignored' }, { idempotencyKey: 'billing:2025-05' });
    expect(again.id).toBe(first.id);
    expect(again.payload).toEqual({ month: '2025-05' });
    await expect(queue.enqueue('other.kind', {}, { idempotencyKey: 'billing:2025-05' })).rejects.toThrow(ConflictError);

    const handles: Database[] = [database, await database.reopen(), await database.reopen(), await database.reopen()];
    const queues = handles.map((handle) => createJobQueue({ database: handle, clock }));
    const racing = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        queues[i % queues.length]!.enqueue('usage.sample', { i }, { idempotencyKey: 'race' }),
      ),
    );
    expect(new Set(racing.map((job) => job.id)).size).toBe(1);
    expect((await queue.list({ kind: 'usage.sample' })).jobs).toHaveLength(1);
  });

  it('enqueues inside the caller transaction: rolled back means no job', async () => {
    const { database, queue } = await setup(create);
    await expect(
      database.kysely.transaction().execute(async (trx) => {
        await queue.enqueue('provision.step', { n: 1 }, { transaction: trx });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await queue.list()).jobs).toHaveLength(0);
    await database.kysely.transaction().execute(async (trx) => {
      await queue.enqueue('provision.step', { n: 2 }, { transaction: trx });
    });
    expect((await queue.list()).jobs.map((job) => job.payload)).toEqual([{ n: 2 }]);
  });

  it('claims due jobs by priority, then run time, never before runAt', async () => {
    const { clock, queue } = await setup(create);
    const later = await queue.enqueue('k', 'later', { runAt: start + 60_000 });
    const low = await queue.enqueue('k', 'low', { priority: 5 });
    const urgent = await queue.enqueue('k', 'urgent', { priority: -5 });
    const normal = await queue.enqueue('k', 'normal', { runAt: new Date(start - 1000) });
    expect(await drain(queue)).toEqual([urgent.id, normal.id, low.id]);
    clock.advance(60_000);
    expect(await drain(queue)).toEqual([later.id]);
  });

  it('claims only the given kinds when asked', async () => {
    const { queue } = await setup(create);
    await queue.enqueue('a', 1);
    const b = await queue.enqueue('b', 2);
    const claimed = await queue.claim({ limit: 10, leaseMs: 1000, kinds: ['b'] });
    expect(claimed.map((c) => c.job.id)).toEqual([b.id]);
    expect(await queue.claim({ limit: 10, leaseMs: 1000, kinds: [] })).toEqual([]);
  });

  it('never hands one job to two concurrent claimers', async () => {
    const { database, clock, queue } = await setup(create);
    for (let i = 0; i < 120; i++) await queue.enqueue('k', { i });
    const queues = await Promise.all(
      Array.from({ length: 6 }, async () => createJobQueue({ database: await database.reopen(), clock })),
    );
    const seen: string[] = [];
    await Promise.all(
      queues.map(async (claimer) => {
        for (;;) {
          const batch = await claimer.claim({ limit: 7, leaseMs: 60_000 });
          if (batch.length === 0) return;
          expect(batch.length).toBeLessThanOrEqual(7);
          for (const { job } of batch) seen.push(job.id);
        }
      }),
    );
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(await queue.queueStats()).toEqual({ queued: 0, running: 120, succeeded: 0, dead: 0, cancelled: 0 });
  });

  it('retries with exponential backoff and jitter, then buries the job with its last error', async () => {
    const { clock, queue } = await setup(create, { backoff: { baseMs: 1000, capMs: 3000 }, random: () => 0.5 });
    const job = await queue.enqueue('flaky', {}, { maxAttempts: 4 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [claimed] = await queue.claim({ limit: 1, leaseMs: 10_000 });
      expect(claimed?.lease.attempt).toBe(attempt);
      const outcome = await queue.fail(claimed!.lease, new Error(`boom ${attempt}`));
      expect(outcome.outcome).toBe('retry');
      const retryAt = outcome.outcome === 'retry' ? outcome.runAt : 0;
      delays.push(retryAt - clock.now());
      expect(await queue.get(job.id)).toMatchObject({ status: 'queued', runAt: retryAt, leaseOwner: null });
      expect(await queue.claim({ limit: 1, leaseMs: 10_000 })).toEqual([]); // not before the backoff ends
      clock.set(retryAt);
    }
    // ceiling min(3000, 1000 * 2^(n-1)) times the jitter 0.5
    expect(delays).toEqual([500, 1000, 1500]);
    const [last] = await queue.claim({ limit: 1, leaseMs: 10_000 });
    expect(await queue.fail(last!.lease, new TypeError('still broken'))).toEqual({ outcome: 'dead' });
    const dead = await queue.get(job.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 4, finishedAt: clock.now() });
    expect(dead?.lastError).toMatch(/^TypeError: still broken\n\s*at /);
  });

  it('buries a job at once on a permanent error', async () => {
    const { queue } = await setup(create);
    const job = await queue.enqueue('k', {});
    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    expect(await queue.fail(claimed!.lease, new PermanentJobError('vault was deleted'))).toEqual({ outcome: 'dead' });
    expect(await queue.get(job.id)).toMatchObject({ status: 'dead', attempts: 1 });
    expect((await queue.get(job.id))?.lastError).toMatch(/^PermanentJobError: vault was deleted/);
  });

  it('lets another claimer take an expired lease and ignores the stale owner afterwards', async () => {
    const { clock, queue } = await setup(create);
    const job = await queue.enqueue('k', {});
    const [stale] = await queue.claim({ limit: 1, leaseMs: 5000 });
    clock.advance(4000);
    expect(await queue.heartbeat(stale!.lease, 5000)).toBe(true); // now expires at +9000
    clock.advance(5000);
    expect(await queue.claim({ limit: 1, leaseMs: 5000 })).toEqual([]); // expires exactly now: still held
    clock.advance(1);
    const [fresh] = await queue.claim({ limit: 1, leaseMs: 5000 });
    expect(fresh?.job).toMatchObject({ id: job.id, attempts: 2 });
    expect(fresh!.lease.owner).not.toBe(stale!.lease.owner);

    expect(await queue.complete(stale!.lease, 'stale result')).toBe(false);
    expect(await queue.heartbeat(stale!.lease, 5000)).toBe(false);
    expect(await queue.fail(stale!.lease, new Error('late'))).toEqual({ outcome: 'lost' });
    expect(await queue.release(stale!.lease)).toBe(false);
    expect(await queue.complete(fresh!.lease, 'fresh result')).toBe(true);
    expect(await queue.get(job.id)).toMatchObject({ status: 'succeeded', result: 'fresh result', lastError: null });
  });

  it('buries a job whose lease expired on its last attempt', async () => {
    const { clock, queue } = await setup(create);
    const job = await queue.enqueue('k', {}, { maxAttempts: 1 });
    await queue.claim({ limit: 1, leaseMs: 1000 });
    clock.advance(1001);
    expect(await queue.claim({ limit: 1, leaseMs: 1000 })).toEqual([]);
    expect(await queue.buryExpired()).toBe(1);
    expect(await queue.get(job.id)).toMatchObject({
      status: 'dead',
      lastError: expect.stringMatching(/^LeaseExpired/),
    });
  });

  it('releases a job without counting the attempt', async () => {
    const { queue } = await setup(create);
    const job = await queue.enqueue('k', {});
    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    expect(await queue.release(claimed!.lease)).toBe(true);
    expect(await queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
    expect((await queue.claim({ limit: 1, leaseMs: 1000 }))[0]?.job.id).toBe(job.id);
  });

  it('cancels queued and running jobs and refuses finished ones', async () => {
    const { queue } = await setup(create);
    const queued = await queue.enqueue('k', 1, { runAt: start + 1000 });
    const running = await queue.enqueue('k', 2);
    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    expect(claimed?.job.id).toBe(running.id);

    expect(await queue.cancel(queued.id)).toMatchObject({ status: 'cancelled', finishedAt: start });
    expect(await queue.cancel(queued.id)).toMatchObject({ status: 'cancelled' });
    expect(await queue.cancel(running.id)).toMatchObject({ status: 'cancelled', leaseOwner: null });
    expect(await queue.heartbeat(claimed!.lease, 1000)).toBe(false);
    expect(await queue.complete(claimed!.lease, 'late')).toBe(false);

    const done = await queue.enqueue('k', 3);
    const [third] = await queue.claim({ limit: 1, leaseMs: 1000 });
    await queue.complete(third!.lease, null);
    await expect(queue.cancel(done.id)).rejects.toThrow(ConflictError);
    await expect(queue.cancel('missing')).rejects.toThrow(NotFoundError);
  });

  it('puts a dead job back with fresh attempts', async () => {
    const { queue } = await setup(create);
    const job = await queue.enqueue('k', {}, { maxAttempts: 1 });
    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    await queue.fail(claimed!.lease, new Error('broken'));
    const revived = await queue.retryDead(job.id);
    expect(revived).toMatchObject({ status: 'queued', attempts: 0, finishedAt: null });
    expect(revived.lastError).toMatch(/^Error: broken/);
    await expect(queue.retryDead(job.id)).rejects.toThrow(/only dead jobs/);
    await expect(queue.retryDead('missing')).rejects.toThrow(NotFoundError);
    expect((await queue.claim({ limit: 1, leaseMs: 1000 }))[0]?.job.attempts).toBe(1);
  });

  it('lists newest first with filters and a cursor, counts and purges', async () => {
    const { clock, queue } = await setup(create);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await queue.enqueue(i % 2 === 0 ? 'even' : 'odd', i)).id);
      clock.advance(1);
    }
    const first = await queue.list({ limit: 3 });
    expect(first.jobs.map((job) => job.id)).toEqual(ids.slice(4).reverse());
    const second = await queue.list({ limit: 3, cursor: first.nextCursor! });
    const third = await queue.list({ limit: 3, cursor: second.nextCursor! });
    expect([...second.jobs, ...third.jobs].map((job) => job.id)).toEqual(ids.slice(0, 4).reverse());
    expect(third.nextCursor).toBeUndefined();
    expect((await queue.list({ kind: 'odd' })).jobs.map((job) => job.payload)).toEqual([5, 3, 1]);

    const [claimed] = await queue.claim({ limit: 1, leaseMs: 1000 });
    await queue.complete(claimed!.lease, null);
    expect((await queue.list({ status: 'succeeded' })).jobs).toHaveLength(1);
    expect(await queue.queueStats()).toEqual({ queued: 6, running: 0, succeeded: 1, dead: 0, cancelled: 0 });
    clock.advance(10_000);
    expect(await queue.purgeFinished(20_000)).toBe(0);
    expect(await queue.purgeFinished(5_000)).toBe(1);
    expect((await queue.queueStats()).succeeded).toBe(0);
  });
});
