import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createSession, createUnit, createUser } from '../helpers/principals.ts';
import { buildReportingWorld, dataSource, type ReportingWorld } from './harness.ts';
import type { ReceivedMail } from './smtp-receiver.ts';

/** The smallest valid PNG: 1×1 pixel. */
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const start = Date.UTC(2026, 1, 23, 0);
const end = Date.UTC(2026, 3, 1, 12);
/** Days ds-a fails (local Berlin dates), including the DST day. */
const failDays = new Set(['2026-02-24', '2026-03-03', '2026-03-29']);
/** Days ds-b finishes with a warning (a locked file). */
const warnDays = new Set(['2026-02-26', '2026-03-10', '2026-03-31']);

/** Dates from..to inclusive, computed independently of the code under test. */
function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function berlinDate(epochMs: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(epochMs));
}

function reportDates(mails: readonly ReceivedMail[]): string[] {
  return mails.map((mail) => /(\d{4}-\d{2}-\d{2})/.exec(mail.subject)?.[1] ?? '?').sort();
}

describeEachDatabase('daily report e-mail over a month', (factory) => {
  let world: ReportingWorld;
  const ids = { reseller: '', c1: '', d1: '', c2: '' };
  const readOnly = { email: '' };

  beforeAll(async () => {
    world = await buildReportingWorld(factory, { start });
    const { server } = world;
    ids.reseller = await createUnit(server, server.rootId, { name: 'Reseller' });
    ids.c1 = await createUnit(server, ids.reseller, { name: 'Customer One' });
    ids.d1 = await createUnit(server, ids.c1, { name: 'Department' });
    ids.c2 = await createUnit(server, server.rootId, { name: 'Customer Two' });
    const admin = world.admin;
    const ok = (response: { statusCode: number; body: string }, status = 200) =>
      expect(response.statusCode, response.body).toBe(status);

    ok(
      await world.api(admin, 'PATCH', `/api/v1/business-units/${ids.reseller}/brand`, {
        displayName: 'Reseller Co',
        primaryColor: '#aa0000',
        emailSenderName: 'Reseller Reports',
        emailSenderAddress: 'reports@reseller.test',
      }),
    );
    ok(
      await server.app.inject({
        method: 'PUT',
        url: `/api/v1/business-units/${ids.reseller}/brand/logo`,
        payload: png,
        headers: { ...admin.headers, 'content-type': 'image/png' },
      }),
    );
    ok(
      await world.api(admin, 'PUT', `/api/v1/business-units/${ids.c1}/settings/reporting.timeZone`, {
        value: 'Europe/Berlin',
      }),
    );

    const user = await createUser(server, { buId: ids.c1, role: 'read-only' });
    readOnly.email = user.email;
    const subscribe = async (buId: string, body: object) =>
      ok(await world.api(admin, 'POST', `/api/v1/business-units/${buId}/report-subscriptions`, body), 201);
    await subscribe(ids.c1, { subscriber: { userId: user.id }, schedule: { frequency: 'daily' } });
    await subscribe(ids.c1, {
      subscriber: { email: 'ext@partner.test' },
      schedule: { frequency: 'weekly', weekdays: ['mon', 'thu'] },
    });
    // The same external subscriber mutes the department below: its data sources leave their mail.
    await subscribe(ids.d1, {
      subscriber: { email: 'ext@partner.test' },
      schedule: { frequency: 'daily' },
      enabled: false,
    });
    await subscribe(ids.c1, {
      subscriber: { email: 'month-end@partner.test' },
      schedule: { frequency: 'monthly', monthDays: [31] },
    });
    await subscribe(ids.c1, {
      subscriber: { email: 'errors@partner.test' },
      schedule: { frequency: 'daily' },
      sendCondition: 'errors_only',
    });
    await subscribe(ids.c1, {
      subscriber: { email: 'warnings@partner.test' },
      schedule: { frequency: 'daily' },
      sendCondition: 'errors_only',
      errorDefinition: { warningsAreErrors: true },
    });
    await subscribe(ids.c2, { subscriber: { email: 'other@customer-two.test' }, schedule: { frequency: 'daily' } });

    world.dataSources.set(dataSource('ds-a', ids.c1, start));
    world.dataSources.set(dataSource('ds-b', ids.d1, start));
    world.dataSources.set({ ...dataSource('ds-c', ids.c2, start), lastOutcome: 'failed', failureReason: 'disk full' });

    // 04:00/05:00 UTC are 06:00 in Berlin after/before the change (05:00 before it, 07:00 after):
    // stepping through both proves the report waits for the local hour. 06:00 UTC is Customer Two's.
    const hours = [4, 5, 6];
    for (let day = start; day <= end; day += 86_400_000) {
      for (const hour of hours) {
        const now = day + hour * 3_600_000;
        if (now > end) break;
        // The night's backups ran at 01:00 local: outcomes of the local day.
        const date = berlinDate(now);
        const ranAt = now - 3_600_000;
        const failed = failDays.has(date);
        world.dataSources.update('ds-a', {
          lastOutcome: failed ? 'failed' : 'success',
          failureReason: failed ? 'VSS snapshot failed' : null,
          lastRunAt: ranAt,
          ...(failed ? {} : { lastGoodAt: ranAt }),
        });
        const warned = warnDays.has(date);
        world.dataSources.update('ds-b', {
          lastOutcome: warned ? 'warning' : 'success',
          warnings: warned ? ['C:\\pagefile.sys was locked'] : [],
          lastRunAt: ranAt,
          lastGoodAt: ranAt,
        });
        await world.at(now);
      }
    }
  }, 170_000);

  afterAll(async () => {
    await world.close();
  });

  const all = datesBetween('2026-02-23', '2026-04-01');

  it('sends the daily subscriber one report per local day, through the DST change', () => {
    expect(reportDates(world.smtp.to(readOnly.email))).toEqual(all);
  });

  it('sends weekday subscribers on their weekdays only, and leaves out the subtree they muted', () => {
    const mails = world.smtp.to('ext@partner.test');
    const expected = all.filter((date) => [1, 4].includes(new Date(`${date}T00:00:00Z`).getUTCDay()));
    expect(reportDates(mails)).toEqual(expected);
    for (const mail of mails) {
      expect(mail.text).toContain('ds-a');
      expect(mail.text).not.toContain('ds-b');
    }
  });

  it('sends "the 31st" on the last day of shorter months', () => {
    expect(reportDates(world.smtp.to('month-end@partner.test'))).toEqual(['2026-02-28', '2026-03-31']);
  });

  it('sends on-error subscribers mail only on days with errors as they define errors', () => {
    expect(reportDates(world.smtp.to('errors@partner.test'))).toEqual([...failDays].sort());
    expect(reportDates(world.smtp.to('warnings@partner.test'))).toEqual([...failDays, ...warnDays].sort());
    const failure = world.smtp.to('errors@partner.test')[0]!;
    expect(failure.text).toContain('Backup failed: ds-a');
    expect(failure.text).toContain('VSS snapshot failed');
  });

  it('dresses the mail in the effective brand of the unit', () => {
    const mail = world.smtp.to(readOnly.email)[0]!;
    expect(mail.from).toEqual({ name: 'Reseller Reports', address: 'reports@reseller.test' });
    expect(mail.subject).toContain('Reseller Co');
    expect(mail.html).toContain('#aa0000');
    expect(mail.html).toContain('cid:brand-logo');
    expect(mail.attachments).toEqual([expect.objectContaining({ cid: 'brand-logo', contentType: 'image/png' })]);
  });

  it('never tells a subscriber about another subtree', () => {
    const other = world.smtp.to('other@customer-two.test');
    expect(reportDates(other)).toEqual(all);
    for (const mail of other) {
      expect(`${mail.subject}${mail.text}${mail.html}`).not.toMatch(/ds-a|ds-b|Customer One|Department|Reseller/);
      expect(mail.from.address).toBe('coffer@msp.test');
    }
    for (const mail of world.smtp.messages.filter((m) => !m.envelopeTo.includes('other@customer-two.test'))) {
      expect(`${mail.subject}${mail.text}${mail.html}`).not.toMatch(/ds-c|Customer Two/);
    }
  });

  it('sends every message once, with a unique Message-ID', () => {
    const ids = world.smtp.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const keys = world.smtp.messages.map((m) => `${m.envelopeTo.join(',')}|${m.subject}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('generates and keeps one report per unit and local day, at the report hour in the unit time zone', async () => {
    const session = await createSession(world.server, world.adminUser, { mfaVerified: true });
    const response = await world.api(session, 'GET', `/api/v1/business-units/${ids.c1}/reports?limit=100`);
    expect(response.statusCode).toBe(200);
    const items = (response.json() as { items: { date: string; generatedAt: string }[] }).items;
    expect(items.map((r) => r.date).sort()).toEqual(all);
    for (const report of items) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' });
      expect(local.format(new Date(report.generatedAt))).toBe('06');
    }
    const dst = items.find((r) => r.date === '2026-03-29')!;
    expect(dst.generatedAt).toBe('2026-03-29T04:00:00.000Z');
    expect(items.find((r) => r.date === '2026-03-28')!.generatedAt).toBe('2026-03-28T05:00:00.000Z');
  });
});

describeEachDatabase('report subscriptions inherit down the tree', (factory) => {
  it('lists the subscriptions in force at a unit, inherited ones marked, overridden ones replaced', async () => {
    const world = await buildReportingWorld(factory, { start });
    try {
      const customer = await createUnit(world.server, world.server.rootId, { name: 'Customer' });
      const department = await createUnit(world.server, customer, { name: 'Department' });
      const post = (buId: string, body: object) =>
        world.api(world.admin, 'POST', `/api/v1/business-units/${buId}/report-subscriptions`, body);
      expect(
        (await post(customer, { subscriber: { email: 'a@x.test' }, schedule: { frequency: 'daily' } })).statusCode,
      ).toBe(201);
      expect(
        (await post(customer, { subscriber: { email: 'b@x.test' }, schedule: { frequency: 'daily' } })).statusCode,
      ).toBe(201);
      const own = await post(department, {
        subscriber: { email: 'b@x.test' },
        schedule: { frequency: 'monthly', monthDays: [1] },
      });
      expect(own.statusCode).toBe(201);
      const duplicate = await post(department, { subscriber: { email: 'B@X.test' }, schedule: { frequency: 'daily' } });
      expect(duplicate.statusCode).toBe(409);
      const listed = await world.api(
        world.admin,
        'GET',
        `/api/v1/business-units/${department}/report-subscriptions?effective=true`,
      );
      const items = (
        listed.json() as { items: { subscriber: { email: string }; inheritedFrom?: string; schedule: object }[] }
      ).items;
      const byEmail = Object.fromEntries(items.map((item) => [item.subscriber.email, item]));
      expect(Object.keys(byEmail).sort()).toEqual(['a@x.test', 'b@x.test']);
      expect(byEmail['a@x.test']).toMatchObject({ inheritedFrom: customer });
      expect(byEmail['b@x.test']).toMatchObject({ schedule: { frequency: 'monthly', monthDays: [1] } });
      expect(byEmail['b@x.test']!.inheritedFrom).toBeUndefined();
    } finally {
      await world.close();
    }
  });
});

describe('report e-mail helpers', () => {
  it('counts dates independently', () => {
    expect(datesBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
});
