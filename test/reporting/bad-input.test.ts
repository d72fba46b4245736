import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { type Credential, createSession, createUnit, createUser, type TestUser } from '../helpers/principals.ts';
import { buildReportingWorld, type ReportingWorld } from './harness.ts';

const tables = [
  'report_subscriptions',
  'alert_subscriptions',
  'webhooks',
  'maintenance_windows',
  'smtp_overrides',
  'bu_settings',
  'audit_log',
] as const;

describeEachDatabase('reporting API refuses bad input and writes nothing', (factory) => {
  let world: ReportingWorld;
  let c1 = '';
  let c2 = '';
  let c2User: TestUser;
  let c1Admin: Credential;

  async function counts(): Promise<Record<string, number>> {
    const db = world.server.database.kysely.withTables<Record<(typeof tables)[number], { x: number }>>();
    const result: Record<string, number> = {};
    for (const table of tables) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      result[table] = Number(row.n);
    }
    return result;
  }

  beforeAll(async () => {
    world = await buildReportingWorld(factory, { start: Date.UTC(2026, 5, 1, 9) });
    c1 = await createUnit(world.server, world.server.rootId, { name: 'Customer One' });
    c2 = await createUnit(world.server, world.server.rootId, { name: 'Customer Two' });
    c2User = await createUser(world.server, { buId: c2, role: 'read-only' });
    const admin = await createUser(world.server, { buId: c1, role: 'administrator' });
    c1Admin = await createSession(world.server, admin, { mfaVerified: true });
  });

  afterAll(async () => {
    await world.close();
  });

  const subscriptions = (unit: () => string) => `/api/v1/business-units/${unit()}/report-subscriptions`;
  const daily = { frequency: 'daily' };

  it.each([
    [
      'an invalid e-mail address',
      { subscriber: { email: 'not-an-email' }, schedule: daily },
      /not a valid e-mail address/,
    ],
    [
      'an address without a domain dot',
      { subscriber: { email: 'ops@localhost' }, schedule: daily },
      /not a valid e-mail/,
    ],
    ['a display name', { subscriber: { email: 'Ops <ops@x.test>' }, schedule: daily }, /not a valid e-mail/],
    [
      'a header injection',
      { subscriber: { email: 'ops@x.test\r\nBcc: all@x.test' }, schedule: daily },
      /not a valid e-mail/,
    ],
    ['both user and e-mail', { subscriber: { email: 'ops@x.test', userId: 'u' }, schedule: daily }, /exactly one/],
    [
      'a weekly schedule with no day',
      { subscriber: { email: 'ops@x.test' }, schedule: { frequency: 'weekly', weekdays: [] } },
      /at least one day/,
    ],
    [
      'a monthly schedule with no day',
      { subscriber: { email: 'ops@x.test' }, schedule: { frequency: 'monthly', monthDays: [] } },
      /at least one day/,
    ],
    [
      'day 32 of a month',
      { subscriber: { email: 'ops@x.test' }, schedule: { frequency: 'monthly', monthDays: [32] } },
      /1-31/,
    ],
    [
      'an unknown weekday',
      { subscriber: { email: 'ops@x.test' }, schedule: { frequency: 'weekly', weekdays: ['sunday'] } },
      /weekdays/,
    ],
    ['an unknown field', { subscriber: { email: 'ops@x.test' }, schedule: daily, cc: 'x' }, /additional properties/],
    [
      'an unknown error rule',
      { subscriber: { email: 'ops@x.test' }, schedule: daily, errorDefinition: { lockedFiles: true } },
      /additional properties|not a known field/,
    ],
    [
      'a zero age threshold',
      { subscriber: { email: 'ops@x.test' }, schedule: daily, errorDefinition: { maxSnapshotAgeHours: 0 } },
      /maxSnapshotAgeHours/,
    ],
    [
      'an unknown condition',
      { subscriber: { email: 'ops@x.test' }, schedule: daily, sendCondition: 'sometimes' },
      /sendCondition/,
    ],
    [
      'a server report below the root',
      { subscriber: { email: 'ops@x.test' }, schedule: daily, reportKind: 'server' },
      /root business unit/,
    ],
  ])('report subscription with %s: 400', async (_name, payload, reason) => {
    const before = await counts();
    const response = await world.api(
      world.admin,
      'POST',
      subscriptions(() => c1),
      payload,
    );
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json().detail).toMatch(reason);
    expect(await counts()).toEqual(before);
  });

  it('refuses a user subscriber who cannot see the unit, and hides users outside the caller’s reach', async () => {
    const before = await counts();
    const byRoot = await world.api(
      world.admin,
      'POST',
      subscriptions(() => c1),
      {
        subscriber: { userId: c2User.id },
        schedule: daily,
      },
    );
    expect(byRoot.statusCode).toBe(400);
    expect(byRoot.json().detail).toMatch(/cannot see this business unit/);
    const byCustomer = await world.api(
      c1Admin,
      'POST',
      subscriptions(() => c1),
      {
        subscriber: { userId: c2User.id },
        schedule: daily,
      },
    );
    expect(byCustomer.statusCode).toBe(404);
    const outside = await world.api(
      c1Admin,
      'POST',
      subscriptions(() => c2),
      { subscriber: { email: 'x@y.test' }, schedule: daily },
    );
    expect(outside.statusCode).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['plain http', 'http://hooks.example.com/coffer', /https/],
    ['ftp', 'ftp://hooks.example.com/coffer', /https/],
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data/', /metadata/],
    ['a link-local address', 'https://169.254.10.10/hook', /linkLocal/],
    ['an IPv6 link-local address', 'https://[fe80::1]/hook', /linkLocal/],
    ['a private address', 'https://10.20.30.40/hook', /private/],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.0.1]/hook', /private/],
    ['credentials in the URL', 'https://user:secret@93.184.216.34/hook', /credentials/],
    ['an unresolvable host', 'https://coffer-webhook-target.invalid/hook', /cannot be resolved/],
  ])('webhook to %s: 400', async (_name, url, reason) => {
    const before = await counts();
    const response = await world.api(world.admin, 'POST', `/api/v1/business-units/${c1}/webhooks`, {
      url,
      eventTypes: ['backup.failed'],
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().detail).toMatch(reason);
    expect(await counts()).toEqual(before);
  });

  it('webhook with no or unknown event types: 400', async () => {
    const before = await counts();
    for (const eventTypes of [[], ['backup.exploded']]) {
      const response = await world.api(world.admin, 'POST', `/api/v1/business-units/${c1}/webhooks`, {
        url: 'https://93.184.216.34/hook',
        eventTypes,
      });
      expect(response.statusCode, response.body).toBe(400);
    }
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['an unknown field', { subject: '{{ unit.nmae }} report' }, /template field 'unit.nmae' does not exist/],
    [
      'a field outside the catalogue',
      { intro: 'Hello {{ user.password }}' },
      /template field 'user.password' does not exist/,
    ],
    ['an include', { footer: '{% include "alert.html.liquid" %}' }, /tag 'include' is not allowed/],
    ['broken syntax', { intro: '{% if report.problems > 0 %}unclosed' }, /not a valid template/],
  ])('e-mail template with %s: 400', async (_name, value, reason) => {
    const before = await counts();
    const response = await world.api(
      world.admin,
      'PUT',
      `/api/v1/business-units/${c1}/settings/reporting.emailTemplate`,
      { value },
    );
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().detail).toMatch(reason);
    expect(await counts()).toEqual(before);
  });

  it('refuses bad alert subscriptions, maintenance windows and SMTP settings', async () => {
    const before = await counts();
    const now = world.clock.now();
    const cases: [string, string, unknown][] = [
      [
        'POST',
        `/api/v1/business-units/${c1}/alert-subscriptions`,
        { subscriber: { email: 'bad' }, eventTypes: ['backup.failed'] },
      ],
      [
        'POST',
        `/api/v1/business-units/${c1}/alert-subscriptions`,
        { subscriber: { email: 'ok@x.test' }, eventTypes: [] },
      ],
      [
        'POST',
        `/api/v1/business-units/${c1}/maintenance-windows`,
        { startsAt: new Date(now + 7_200_000).toISOString(), endsAt: new Date(now).toISOString() },
      ],
      [
        'POST',
        `/api/v1/business-units/${c1}/maintenance-windows`,
        { startsAt: new Date(now).toISOString(), endsAt: new Date(now + 40 * 86_400_000).toISOString() },
      ],
      ['PUT', `/api/v1/business-units/${c1}/smtp`, { host: 'smtp.x.test', port: 0, security: 'tls' }],
      ['PUT', `/api/v1/business-units/${c1}/smtp`, { host: 'smtp.x.test', port: 587, security: 'ssl' }],
      ['PUT', `/api/v1/business-units/${c1}/smtp`, { host: 'smtp.x.test', port: 587, security: 'tls', username: 'u' }],
      ['PUT', `/api/v1/business-units/${c1}/smtp`, { host: 'bad host!', port: 587, security: 'tls' }],
    ];
    for (const [method, url, payload] of cases) {
      const response = await world.api(world.admin, method as 'POST' | 'PUT', url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)} ${response.body}`).toBe(400);
    }
    expect(await counts()).toEqual(before);
  });

  it('stores an SMTP password sealed and never shows it', async () => {
    const response = await world.api(world.admin, 'PUT', `/api/v1/business-units/${c1}/smtp`, {
      host: 'smtp.reseller.test',
      port: 587,
      security: 'starttls',
      username: 'mailer',
      password: 'hunter2-very-secret',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.body).not.toContain('hunter2');
    expect(response.json()).toMatchObject({ source: 'unit', host: 'smtp.reseller.test', passwordSet: true });
    const row = await world.server.database.kysely
      .withTables<{ smtp_overrides: { bu_id: string; password_sealed: string } }>()
      .selectFrom('smtp_overrides')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.password_sealed).not.toContain('hunter2');
    const audit = await world.api(world.admin, 'GET', `/api/v1/audit?buId=${c1}`);
    expect(audit.body).not.toContain('hunter2');
  });
});
