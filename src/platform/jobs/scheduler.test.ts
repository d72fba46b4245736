import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../../test/helpers/databases.ts';
import { ManualClock } from '../clock.ts';
import { ValidationError } from '../errors.ts';
import { createJobQueue, type JobQueue } from './queue.ts';
import { createScheduler } from './scheduler.ts';
import { jobsTestDatabases } from './test-databases.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

async function setup(create: () => Promise<TestDatabase>, startIso: string) {
  const database = await create();
  const clock = new ManualClock(at(startIso));
  const queue = createJobQueue({ database, clock });
  const scheduler = createScheduler({ database, clock, queue });
  return { database, clock, queue, scheduler };
}

async function jobCountReaches(queue: JobQueue, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await queue.list()).jobs.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} jobs`);
    await sleep(10);
  }
}

describeEachDatabase('job scheduler', (factory) => {
  const databases = jobsTestDatabases(factory);
  const create = () => databases.create();

  it('fires at 02:30 Berlin time across the spring-forward change', async () => {
    const { clock, queue, scheduler } = await setup(create, '2025-03-28T12:00:00Z');
    const schedule = await scheduler.upsertSchedule({
      name: 'nightly-verify',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      jobKind: 'vault.verify',
      payload: { zone: 2 },
    });
    expect(iso(schedule.nextRunAt)).toBe('2025-03-29T01:30:00.000Z');

    const fired: string[] = [];
    for (let day = 0; day < 3; day++) {
      const next = (await scheduler.getSchedule('nightly-verify'))!.nextRunAt;
      clock.set(next - 1);
      expect(await scheduler.tick()).toEqual([]);
      clock.set(next);
      const slots = await scheduler.tick();
      expect(slots).toHaveLength(1);
      fired.push(iso(slots[0]!.slot));
    }
    // 29 March 02:30 CET; 30 March 02:30 does not exist (02:00 → 03:00), so 03:00 CEST; then 02:30 CEST.
    expect(fired).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z']);
    const jobs = (await queue.list({ kind: 'vault.verify' })).jobs;
    expect(jobs.map((job) => iso(job.runAt)).sort()).toEqual(fired);
    expect(jobs.every((job) => job.idempotencyKey === `schedule:nightly-verify:${job.runAt}`)).toBe(true);
    expect(jobs[0]?.payload).toEqual({ zone: 2 });
  });

  it('fires once at 01:30 New York time when fall-back repeats that hour', async () => {
    const { clock, scheduler } = await setup(create, '2025-10-31T12:00:00Z');
    await scheduler.upsertSchedule({
      name: 'report',
      cron: '30 1 * * *',
      timezone: 'America/New_York',
      jobKind: 'report.daily',
    });
    const fired: string[] = [];
    // Tick every 15 minutes through four days: the repeated 01:30 on 2 November fires once.
    for (let now = clock.now(); now <= at('2025-11-04T12:00:00Z'); now += 15 * 60_000) {
      clock.set(now);
      for (const slot of await scheduler.tick()) fired.push(iso(slot.slot));
    }
    expect(fired).toEqual([
      '2025-11-01T05:30:00.000Z', // 01:30 EDT
      '2025-11-02T05:30:00.000Z', // the first 01:30 (EDT); not again at 06:30Z (EST)
      '2025-11-03T06:30:00.000Z', // 01:30 EST
      '2025-11-04T06:30:00.000Z',
    ]);
  });

  it('fires runs missed during downtime once, then continues from now', async () => {
    const { database, clock, queue, scheduler } = await setup(create, '2025-06-01T08:10:00Z');
    const declaration = { name: 'hourly', cron: '0 * * * *', timezone: 'UTC', jobKind: 'usage.sample' };
    await scheduler.upsertSchedule(declaration);
    await scheduler.stop();

    // Down from 08:10 to 13:20: the 09:00 … 13:00 slots were missed. A new process starts,
    // re-declares its schedules (which must keep the pending slot) and ticks.
    clock.set(at('2025-06-01T13:20:00Z'));
    const restarted = await database.reopen();
    const after = createScheduler({
      database: restarted,
      clock,
      queue: createJobQueue({ database: restarted, clock }),
    });
    await after.upsertSchedule(declaration);
    const fired = await after.tick();
    expect(fired.map((slot) => iso(slot.slot))).toEqual(['2025-06-01T09:00:00.000Z']);
    expect(await after.tick()).toEqual([]);
    expect(await after.getSchedule('hourly')).toMatchObject({
      nextRunAt: at('2025-06-01T14:00:00Z'),
      lastRunAt: at('2025-06-01T09:00:00Z'),
    });
    expect((await queue.list({ kind: 'usage.sample' })).jobs).toHaveLength(1);
  });

  it('never fires one slot twice when several processes tick together', async () => {
    const { database, clock, queue } = await setup(create, '2025-06-01T00:00:30Z');
    const schedulers = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const handle = await database.reopen();
        return createScheduler({ database: handle, clock, queue: createJobQueue({ database: handle, clock }) });
      }),
    );
    await schedulers[0]!.upsertSchedule({ name: 'minutely', cron: '* * * * *', jobKind: 'tick' });
    let fired = 0;
    for (let minute = 1; minute <= 10; minute++) {
      clock.set(at('2025-06-01T00:00:00Z') + minute * 60_000);
      const results = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
      fired += results.flat().length;
    }
    expect(fired).toBe(10);
    expect((await queue.list({ kind: 'tick' })).jobs).toHaveLength(10);
  });

  it('does not add a second job when a crash came between enqueue and advance', async () => {
    const { clock, queue, scheduler } = await setup(create, '2025-06-01T00:00:30Z');
    const schedule = await scheduler.upsertSchedule({ name: 's', cron: '* * * * *', jobKind: 'k' });
    clock.set(schedule.nextRunAt);
    const earlier = await queue.enqueue('k', null, {
      runAt: schedule.nextRunAt,
      idempotencyKey: `schedule:s:${schedule.nextRunAt}`,
    });
    const [slot] = await scheduler.tick();
    expect(slot?.jobId).toBe(earlier.id);
    expect((await queue.list()).jobs).toHaveLength(1);
  });

  it('recomputes on a changed rule or re-enabling, never fires disabled schedules, removes', async () => {
    const { clock, queue, scheduler } = await setup(create, '2025-06-01T08:10:00Z');
    const first = await scheduler.upsertSchedule({ name: 'x', cron: '0 12 * * *', jobKind: 'k' });
    expect(iso(first.nextRunAt)).toBe('2025-06-01T12:00:00.000Z');
    const moved = await scheduler.upsertSchedule({
      name: 'x',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      jobKind: 'k',
    });
    expect(iso(moved.nextRunAt)).toBe('2025-06-02T07:00:00.000Z');
    expect(moved.createdAt).toBe(first.createdAt);

    await scheduler.upsertSchedule({
      name: 'x',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      jobKind: 'k',
      enabled: false,
    });
    clock.set(at('2025-06-05T00:00:00Z'));
    expect(await scheduler.tick()).toEqual([]);
    const enabled = await scheduler.upsertSchedule({
      name: 'x',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      jobKind: 'k',
    });
    expect(iso(enabled.nextRunAt)).toBe('2025-06-05T07:00:00.000Z'); // no backlog from the disabled days
    expect((await queue.list()).jobs).toHaveLength(0);

    expect((await scheduler.listSchedules()).map((s) => s.name)).toEqual(['x']);
    expect(await scheduler.removeSchedule('x')).toBe(true);
    expect(await scheduler.removeSchedule('x')).toBe(false);
    expect(await scheduler.listSchedules()).toEqual([]);
  });

  it('refuses bad schedules with ValidationError', async () => {
    const { scheduler } = await setup(create, '2025-06-01T08:10:00Z');
    const base = { name: 'n', cron: '0 2 * * *', timezone: 'UTC', jobKind: 'k' };
    await expect(scheduler.upsertSchedule({ ...base, cron: '0 25 * * *' })).rejects.toThrow(
      /cron expression .* is invalid/,
    );
    await expect(scheduler.upsertSchedule({ ...base, cron: '0 0 30 2 *' })).rejects.toThrow(/never fires/);
    await expect(scheduler.upsertSchedule({ ...base, timezone: 'Europe/Atlantis' })).rejects.toThrow(/IANA time zone/);
    await expect(scheduler.upsertSchedule({ ...base, name: '' })).rejects.toThrow(ValidationError);
    await expect(scheduler.upsertSchedule({ ...base, jobKind: 'no spaces' })).rejects.toThrow(/jobKind/);
    expect(await scheduler.listSchedules()).toEqual([]);
  });

  it('start() ticks at once and then on its interval; stop() ends it', async () => {
    const { database, clock, queue } = await setup(create, '2025-06-01T08:10:00Z');
    const scheduler = createScheduler({ database, clock, queue, intervalMs: 20 });
    await scheduler.upsertSchedule({ name: 'h', cron: '0 * * * *', jobKind: 'k' });
    clock.set(at('2025-06-01T11:30:00Z'));
    scheduler.start();
    await jobCountReaches(queue, 1);
    clock.set(at('2025-06-01T12:00:00Z'));
    await jobCountReaches(queue, 2);
    await scheduler.stop();
    expect((await queue.list()).jobs.map((job) => iso(job.runAt))).toEqual([
      '2025-06-01T12:00:00.000Z',
      '2025-06-01T09:00:00.000Z',
    ]);
    clock.set(at('2025-06-01T13:00:00Z'));
    await sleep(60);
    expect((await queue.list()).jobs).toHaveLength(2);
  });
});
