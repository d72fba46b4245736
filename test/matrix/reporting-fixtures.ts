import { randomBytes } from 'node:crypto';
import { newId } from '../../src/platform/index.ts';
import type { ReportingTables } from '../../src/reporting/index.ts';
import { injectAs } from '../helpers/principals.ts';
import type { MatrixFixture, MatrixWorld } from './fixture.ts';

const api = '/api/v1';
const units = `${api}/business-units`;
/** A public address literal: passes the SSRF checks without DNS; nothing is ever delivered to it in the matrix. */
const hookUrl = 'https://93.184.216.34/coffer-hook';

function fresh(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}@example.test`;
}

/** Creates something in the target unit through the API as the root administrator; returns its id. */
async function created(world: MatrixWorld, url: string, payload: unknown): Promise<string> {
  const response = await injectAs(world.server.app, world.admin, { method: 'POST', url, payload: payload as object });
  if (response.statusCode !== 201) throw new Error(`preparing ${url} failed: ${response.statusCode} ${response.body}`);
  return (response.json() as { id: string }).id;
}

function subscription(world: MatrixWorld): Promise<string> {
  return created(world, `${units}/${world.units.target}/report-subscriptions`, {
    subscriber: { email: fresh('report') },
    schedule: { frequency: 'daily' },
  });
}

function alertSubscription(world: MatrixWorld): Promise<string> {
  return created(world, `${units}/${world.units.target}/alert-subscriptions`, {
    subscriber: { email: fresh('alert') },
    eventTypes: ['backup.failed'],
  });
}

function webhook(world: MatrixWorld): Promise<string> {
  return created(world, `${units}/${world.units.target}/webhooks`, { url: hookUrl, eventTypes: ['backup.failed'] });
}

function report(world: MatrixWorld): Promise<string> {
  return created(world, `${units}/${world.units.target}/reports`, {});
}

function maintenanceWindow(world: MatrixWorld): Promise<string> {
  const now = world.server.clock.now();
  return created(world, `${units}/${world.units.target}/maintenance-windows`, {
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
  });
}

function reporting(world: MatrixWorld) {
  return world.server.database.kysely.withTables<ReportingTables>();
}

async function delivery(world: MatrixWorld): Promise<string> {
  const hook = await webhook(world);
  const now = world.server.clock.now();
  const id = newId(now);
  await reporting(world)
    .insertInto('webhook_deliveries')
    .values({
      id,
      webhook_id: hook,
      dedup_key: null,
      event_id: 'event',
      event_type: 'backup.failed',
      payload: '{"id":"event","type":"backup.failed"}',
      redelivery_of: null,
      status: 'dead',
      attempts: 3,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      last_status_code: 500,
      last_error: 'HTTP 500',
      created_at: now,
      updated_at: now,
      delivered_at: null,
    })
    .execute();
  return id;
}

async function deadMail(world: MatrixWorld): Promise<string> {
  const now = world.server.clock.now();
  const id = newId(now);
  await reporting(world)
    .insertInto('mail_outbox')
    .values({
      id,
      dedup_key: `matrix:${id}`,
      message_id: `<${id}@example.test>`,
      bu_id: world.units.target,
      category: 'report',
      recipient: 'someone@example.test',
      from_address: 'coffer@example.test',
      from_name: 'Coffer',
      subject: 'Report',
      text_body: 'text',
      html_body: '<p>html</p>',
      attachments: '[]',
      status: 'dead',
      attempts: 100,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      last_error: 'ECONNECTION',
      created_at: now,
      updated_at: now,
      sent_at: null,
    })
    .execute();
  return id;
}

function onTarget(method: 'GET' | 'POST' | 'PUT' | 'DELETE', suffix: string, payload?: () => unknown): MatrixFixture {
  return {
    route: `${method} ${units}/:id/${suffix}`,
    async request(world) {
      return {
        method,
        url: `${units}/${world.units.target}/${suffix}`,
        ...(payload ? { payload: payload() } : {}),
      };
    },
  };
}

function byId(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  make: (world: MatrixWorld) => Promise<string>,
  suffix = '',
  payload?: unknown,
): MatrixFixture {
  return {
    route: `${method} ${api}/${path}/:id${suffix}`,
    async request(world) {
      const id = await make(world);
      return { method, url: `${api}/${path}/${id}${suffix}`, ...(payload !== undefined ? { payload } : {}) };
    },
  };
}

export const reportingFixtures: readonly MatrixFixture[] = [
  onTarget('GET', 'reports'),
  onTarget('POST', 'reports', () => ({})),
  byId('GET', 'reports', report),
  byId('GET', 'reports', report, '/html'),
  onTarget('GET', 'report-subscriptions'),
  onTarget('POST', 'report-subscriptions', () => ({
    subscriber: { email: fresh('matrix') },
    schedule: { frequency: 'weekly', weekdays: ['mon'] },
  })),
  byId('GET', 'report-subscriptions', subscription),
  byId('PATCH', 'report-subscriptions', subscription, '', { sendCondition: 'errors_only' }),
  byId('DELETE', 'report-subscriptions', subscription),
  onTarget('GET', 'alert-subscriptions'),
  onTarget('POST', 'alert-subscriptions', () => ({
    subscriber: { email: fresh('matrix') },
    eventTypes: ['backup.failed', 'quota.hard_exceeded'],
  })),
  byId('PATCH', 'alert-subscriptions', alertSubscription, '', { enabled: false }),
  byId('DELETE', 'alert-subscriptions', alertSubscription),
  onTarget('GET', 'maintenance-windows'),
  {
    route: `POST ${units}/:id/maintenance-windows`,
    async request(world) {
      const now = world.server.clock.now();
      return {
        method: 'POST',
        url: `${units}/${world.units.target}/maintenance-windows`,
        payload: { startsAt: new Date(now).toISOString(), endsAt: new Date(now + 7_200_000).toISOString() },
      };
    },
  },
  byId('DELETE', 'maintenance-windows', maintenanceWindow),
  onTarget('GET', 'alerts'),
  onTarget('GET', 'webhooks'),
  onTarget('POST', 'webhooks', () => ({ url: hookUrl, eventTypes: ['billing.run_posted'] })),
  byId('GET', 'webhooks', webhook),
  byId('PATCH', 'webhooks', webhook, '', { description: 'PSA' }),
  byId('DELETE', 'webhooks', webhook),
  byId('POST', 'webhooks', webhook, '/rotate-secret', {}),
  byId('GET', 'webhooks', webhook, '/deliveries'),
  byId('GET', 'webhook-deliveries', delivery),
  byId('POST', 'webhook-deliveries', delivery, '/redeliver', {}),
  onTarget('GET', 'mail-outbox'),
  byId('POST', 'mail-outbox', deadMail, '/retry', {}),
  onTarget('GET', 'smtp'),
  onTarget('PUT', 'smtp', () => ({ host: 'smtp.example.test', port: 587, security: 'starttls' })),
  onTarget('DELETE', 'smtp'),
];
