import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/index.ts';
import { createJobQueue, createScheduler } from '../../src/platform/jobs/index.ts';
import { createReporting, reportingJobHandlers, reportingSchedules } from '../../src/reporting/index.ts';
import { queueMail } from '../../src/reporting/outbox.ts';
import { leaseOutboxMessage } from '../../src/reporting/outbox-store.ts';
import { createSmtpTransport } from '../../src/reporting/smtp.ts';
import type { ReportingTables } from '../../src/reporting/tables.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createSession, createUnit } from '../helpers/principals.ts';
import { buildReportingWorld, dataSource, type ReportingWorld } from './harness.ts';

const minute = 60_000;
const day = Date.UTC(2026, 2, 2);
const recipients = ['a@ops.test', 'b@ops.test', 'c@ops.test', 'd@ops.test', 'e@ops.test'];

describeEachDatabase('mail outbox when the SMTP server is down', (factory) => {
  let world: ReportingWorld;
  let unit = '';

  beforeAll(async () => {
    world = await buildReportingWorld(factory, { start: day + 5 * 60 * minute });
    unit = await createUnit(world.server, world.server.rootId, { name: 'Customer' });
    world.dataSources.set(dataSource('server-1', unit, day));
    for (const email of [...recipients, 'bounce@ops.test']) {
      const response = await world.api(world.admin, 'POST', `/api/v1/business-units/${unit}/report-subscriptions`, {
        subscriber: { email },
        schedule: { frequency: 'daily' },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
    world.smtp.refuse.add('bounce@ops.test');
  });

  afterAll(async () => {
    await world.close();
  });

  it('delivers every message once after an hour-long outage and a process restart', async () => {
    await world.at(day + 5 * 60 * minute + 30 * minute);
    await world.smtp.stop();
    // 06:00: the reports are generated and queued; every send fails while the server is down.
    for (let t = day + 6 * 60 * minute; t < day + 6 * 60 * minute + 35 * minute; t += 5 * minute) await world.at(t);
    expect(world.smtp.messages).toHaveLength(0);
    const outbox = world.server.database.kysely.withTables<ReportingTables>();
    const waiting = await outbox.selectFrom('mail_outbox').selectAll().where('status', '=', 'pending').execute();
    expect(waiting.map((m) => m.recipient).sort()).toEqual([...recipients, 'bounce@ops.test'].sort());
    expect(
      waiting.every((m) => m.attempts >= 1 && /ECONNECTION|ECONNREFUSED|unreachable/.test(m.last_error ?? '')),
    ).toBe(true);

    // The process restarts: a new connection, queue, scheduler and runtime over the same database.
    const database = await world.server.database.reopen();
    const queue = createJobQueue({ database, clock: world.clock });
    const runtime = createReporting({
      database,
      clock: world.clock,
      log: createLogger({ level: 'silent' }),
      queue,
      dataSources: world.dataSources,
      secrets: world.server.identity.box,
      mail: {
        defaultSmtp: { host: '127.0.0.1', port: world.smtp.port, security: 'none', username: null, password: null },
        defaultSender: 'coffer@msp.test',
      },
    });
    const handlers = reportingJobHandlers(runtime);
    const scheduler = createScheduler({ database, clock: world.clock, queue });
    for (const schedule of reportingSchedules) await scheduler.upsertSchedule(schedule);
    const step = async (t: number) => {
      world.clock.set(t);
      await scheduler.tick();
      for (;;) {
        const claimed = await queue.claim({ limit: 20, leaseMs: 600_000 });
        if (claimed.length === 0) break;
        for (const { job, lease } of claimed) {
          await queue.complete(
            lease,
            await handlers[job.kind]!(job, { signal: new AbortController().signal, heartbeat: async () => {} }),
          );
        }
      }
    };
    for (let t = day + 6 * 60 * minute + 35 * minute; t < day + 7 * 60 * minute + 5 * minute; t += 5 * minute)
      await step(t);
    expect(world.smtp.messages).toHaveLength(0);

    await world.smtp.start();
    for (let t = day + 7 * 60 * minute + 5 * minute; t <= day + 9 * 60 * minute; t += 5 * minute) await step(t);
    for (const email of recipients) expect(world.smtp.to(email), email).toHaveLength(1);
    expect(world.smtp.messages).toHaveLength(recipients.length);
    const ids = world.smtp.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const sent = await outbox.selectFrom('mail_outbox').select(['recipient', 'status']).execute();
    expect(
      sent
        .filter((m) => m.status === 'sent')
        .map((m) => m.recipient)
        .sort(),
    ).toEqual(recipients);
  });

  it('resends with the same Message-ID when a sender crashed after the server accepted the message', async () => {
    const db = world.server.database.kysely.withTables<ReportingTables>();
    const now = world.clock.now();
    await queueMail(
      db,
      {
        dedupKey: 'crash-test',
        buId: unit,
        category: 'notice',
        recipient: 'crash@ops.test',
        from: { name: 'Coffer', address: 'coffer@msp.test' },
        mail: { subject: 'crash test', text: 'text', html: '<p>html</p>', attachments: [] },
      },
      now,
    );
    const row = await db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('dedup_key', '=', 'crash-test')
      .executeTakeFirstOrThrow();
    // A sender leases the message, the SMTP server accepts it, and the process dies before marking it sent.
    const leased = await leaseOutboxMessage(db, row.id, 'crashed-worker', now, now + 5 * minute);
    expect(leased).toBeDefined();
    const transport = createSmtpTransport({
      host: '127.0.0.1',
      port: world.smtp.port,
      security: 'none',
      username: null,
      password: null,
    });
    await transport.send({
      messageId: row.message_id,
      from: { name: 'Coffer', address: 'coffer@msp.test' },
      to: 'crash@ops.test',
      subject: 'crash test',
      text: 'text',
      html: '<p>html</p>',
      attachments: [],
      headers: {},
    });
    transport.close();
    await world.at(now + 2 * minute);
    expect(world.smtp.to('crash@ops.test')).toHaveLength(1);
    // After the lease the message goes again: at-least-once, with the same Message-ID for the receiver to drop.
    await world.at(now + 6 * minute);
    const copies = world.smtp.to('crash@ops.test');
    expect(copies).toHaveLength(2);
    expect(copies[1]!.messageId).toBe(copies[0]!.messageId);
    await world.at(now + 20 * minute);
    expect(world.smtp.to('crash@ops.test')).toHaveLength(2);
  });

  it('dead-letters a permanently refused message, shows it to operators and can retry it', async () => {
    const session = await createSession(world.server, world.adminUser, { mfaVerified: true });
    const dead = await world.api(
      session,
      'GET',
      `/api/v1/business-units/${world.server.rootId}/mail-outbox?status=dead`,
    );
    expect(dead.statusCode).toBe(200);
    const items = (dead.json() as { items: { id: string; recipient: string; lastError: string; status: string }[] })
      .items;
    expect(items).toEqual([expect.objectContaining({ recipient: 'bounce@ops.test', status: 'dead' })]);
    expect(items[0]!.lastError).toMatch(/550/);
    world.smtp.refuse.delete('bounce@ops.test');
    const retried = await world.api(session, 'POST', `/api/v1/mail-outbox/${items[0]!.id}/retry`, {});
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 });
    await world.at(world.clock.now() + minute);
    expect(world.smtp.to('bounce@ops.test')).toHaveLength(1);
    const again = await world.api(session, 'POST', `/api/v1/mail-outbox/${items[0]!.id}/retry`, {});
    expect(again.statusCode, again.body).toBe(409);
  });
});
