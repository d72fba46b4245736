import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/platform/index.ts';
import { recordConsumption, refreshQuotaStates } from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createSession, createUnit, setSetting } from '../helpers/principals.ts';
import { buildReportingWorld, dataSource, type ReportingWorld } from './harness.ts';

const hour = 3_600_000;
const day = Date.UTC(2026, 6, 13); // a Monday
const gb = 1_000_000_000;

describeEachDatabase('reports and alerts fed by usage, agents and the job queue', (factory) => {
  let world: ReportingWorld;
  let unit = '';

  async function api(method: 'GET' | 'POST', url: string, payload?: unknown, status = 200) {
    const session = await createSession(world.server, world.adminUser, { mfaVerified: true });
    const response = await world.api(session, method, url, payload);
    expect(response.statusCode, response.body).toBe(status);
    return response.json() as Record<string, unknown>;
  }

  async function sample(date: string, storedGb: number, asOf: number) {
    await recordConsumption(
      world.server.database,
      {
        dataSourceId: 'fs-1',
        buId: unit,
        day: date,
        protectedBytes: 3 * storedGb * gb,
        storedBytes: storedGb * gb,
        transferredBytes: gb,
        snapshotCount: 10,
        clientActive: true,
        asOf,
      },
      asOf,
    );
  }

  beforeAll(async () => {
    world = await buildReportingWorld(factory, { start: day });
    unit = await createUnit(world.server, world.server.rootId, { name: 'Customer' });
    world.dataSources.set(dataSource('fs-1', unit, day));
    await api(
      'POST',
      `/api/v1/business-units/${unit}/report-subscriptions`,
      {
        subscriber: { email: 'quota-watch@customer.test' },
        schedule: { frequency: 'daily' },
        sendCondition: 'errors_only',
        errorDefinition: { quotaBreachesAreErrors: true },
      },
      201,
    );
    await api(
      'POST',
      `/api/v1/business-units/${unit}/report-subscriptions`,
      {
        subscriber: { email: 'quota-blind@customer.test' },
        schedule: { frequency: 'daily' },
        sendCondition: 'errors_only',
        errorDefinition: { quotaBreachesAreErrors: false },
      },
      201,
    );
    await api(
      'POST',
      `/api/v1/business-units/${unit}/alert-subscriptions`,
      {
        subscriber: { email: 'alerts@customer.test' },
        eventTypes: ['quota.soft_exceeded', 'quota.hard_exceeded', 'agent.offline'],
      },
      201,
    );
    await api(
      'POST',
      `/api/v1/business-units/${world.server.rootId}/report-subscriptions`,
      {
        subscriber: { email: 'operators@msp.test' },
        reportKind: 'server',
        schedule: { frequency: 'daily' },
      },
      201,
    );
  });

  afterAll(async () => {
    await world.close();
  });

  it('reports subtree consumption with its trend and alerts on a quota crossing from usage', async () => {
    await sample('2026-07-06', 80, day - 7 * 24 * hour);
    await sample('2026-07-12', 95, day - 24 * hour);
    await sample('2026-07-13', 120, day + hour);
    await setSetting(world.server, unit, 'quota.storage', { softBytes: 100 * gb, hardBytes: 200 * gb });
    await refreshQuotaStates(world.server.database, day + hour);
    await world.at(day + 2 * hour);
    expect(world.smtp.to('alerts@customer.test').map((m) => m.subject)).toEqual([
      'Coffer: Soft quota exceeded: Customer',
    ]);

    await world.at(day + 6 * hour);
    const list = await api('GET', `/api/v1/business-units/${unit}/reports`);
    const [item] = list.items as { id: string; summary: { quotaBreaches: number } }[];
    expect(item!.summary.quotaBreaches).toBe(1);
    const report = await api('GET', `/api/v1/reports/${item!.id}`);
    expect(report.body).toMatchObject({
      consumption: {
        today: { storedBytes: 120 * gb, protectedBytes: 360 * gb, clients: 1 },
        previousDay: { storedBytes: 95 * gb },
        previousWeek: { storedBytes: 80 * gb },
      },
      quotas: [{ buId: unit, state: 'soft_exceeded', usedBytes: 120 * gb, softLimitBytes: 100 * gb }],
    });
    const [mail] = world.smtp.to('quota-watch@customer.test');
    expect(mail!.text).toContain('Stored data: 120 GB (day +25.0 GB (+26.3 %), week +40.0 GB (+50.0 %))');
    expect(mail!.text).toContain('Soft quota exceeded: Customer');
    expect(world.smtp.to('quota-blind@customer.test')).toHaveLength(0);

    const html = await world.server.app.inject({
      method: 'GET',
      url: `/api/v1/reports/${item!.id}/html`,
      headers: (await createSession(world.server, world.adminUser, { mfaVerified: true })).headers,
    });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('Status report for Customer');
  });

  it('raises agent.offline after the inherited threshold and resolves it when the agent is back', async () => {
    await setSetting(world.server, unit, 'reporting.agentOfflineHours', 12);
    const lastSeen = world.clock.now() - 13 * hour;
    world.dataSources.update('fs-1', { agentLastSeenAt: lastSeen });
    await world.at(world.clock.now() + 10 * 60_000);
    await world.at(world.clock.now() + 10 * 60_000);
    const offline = world.smtp.to('alerts@customer.test').filter((m) => m.subject.includes('Agent offline'));
    expect(offline.map((m) => m.subject)).toEqual(['Coffer: Agent offline: fs-1']);
    world.dataSources.update('fs-1', { agentLastSeenAt: world.clock.now() });
    await world.at(world.clock.now() + 10 * 60_000);
    expect(world.smtp.to('alerts@customer.test').map((m) => m.subject)).toContain(
      'Coffer: Recovered: the agent of fs-1 is online again',
    );
  });

  it('turns a posted billing run into a notice for subscribers and webhooks', async () => {
    await api(
      'POST',
      `/api/v1/business-units/${unit}/alert-subscriptions`,
      {
        subscriber: { email: 'finance@customer.test' },
        eventTypes: ['billing.run_posted'],
      },
      201,
    );
    // What billing writes to its event outbox when a run is posted (src/billing/run.ts).
    const now = world.clock.now();
    await world.server.database.kysely
      .withTables<{
        billing_events: {
          id: string;
          kind: string;
          bu_id: string | null;
          payload: string;
          created_at: number;
          delivered_at: number | null;
        };
      }>()
      .insertInto('billing_events')
      .values({
        id: newId(now),
        kind: 'billing.run.posted',
        bu_id: unit,
        payload: JSON.stringify({
          runId: 'run-7',
          sellerBuId: unit,
          runDate: '2026-07-13',
          lineCount: 3,
          totals: { EUR: '12345' },
        }),
        created_at: now,
        delivered_at: null,
      })
      .execute();
    await world.at(now + 5 * 60_000);
    const [mail] = world.smtp.to('finance@customer.test');
    expect(mail!.subject).toBe('Coffer: Billing run posted: billing run 2026-07-13');
    expect(mail!.text).toContain('totalsMinorUnits: EUR 12345');
    await world.at(now + 10 * 60_000);
    expect(world.smtp.to('finance@customer.test')).toHaveLength(1);
  });

  it("sends the operators' server report with dead jobs", async () => {
    const broken = await world.queue.enqueue('test.unknown-kind', { note: 'cannot run' }, { maxAttempts: 1 });
    const [claimed] = await world.queue.claim({ limit: 1, leaseMs: 60_000, kinds: ['test.unknown-kind'] });
    await world.queue.fail(claimed!.lease, new Error('no handler for test.unknown-kind'));
    await world.at(day + 30 * hour);
    const mails = world.smtp.to('operators@msp.test');
    // Each day's report counts the quota breach; the second one also the dead job.
    expect(mails.map((m) => m.subject)).toEqual([
      'Coffer: server report, 2026-07-13 – 1 problem',
      'Coffer: server report, 2026-07-14 – 2 problems',
    ]);
    expect(mails[1]!.text).toContain(`Job failed permanently: test.unknown-kind ${broken.id}`);
    expect(mails[1]!.text).toContain('Soft quota exceeded: Customer');
    expect(mails[0]!.text).not.toContain('test.unknown-kind');
    const reports = await api('GET', `/api/v1/business-units/${world.server.rootId}/reports?kind=server`);
    expect((reports.items as { date: string }[]).map((r) => r.date)).toEqual(['2026-07-14', '2026-07-13']);
  });
});
