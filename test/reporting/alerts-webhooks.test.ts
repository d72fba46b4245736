import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EventInput, signatureHeader, verifySignature } from '../../src/reporting/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { createSession, createUnit } from '../helpers/principals.ts';
import { buildReportingWorld, type ReportingWorld } from './harness.ts';
import { type HookReceiver, startHookReceiver } from './hook-receiver.ts';

const minute = 60_000;
const start = Date.UTC(2026, 4, 4, 9);

describeEachDatabase('alerts and webhooks', (factory) => {
  let world: ReportingWorld;
  let receiver: HookReceiver;
  const units = { c1: '', c2: '' };
  let secret = '';
  let sequence = 0;

  async function emit(type: EventInput['type'], buId: string, subject: string, details: Record<string, unknown> = {}) {
    sequence++;
    await world.runtime.emitEvent({
      type,
      buId,
      subjectId: subject,
      subjectName: subject,
      occurredAt: world.clock.now(),
      details,
      sourceKey: `test:${sequence}`,
    });
    await world.drain();
  }

  async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, status = 200) {
    // A fresh session each time: simulated hours pass between calls.
    const session = await createSession(world.server, world.adminUser, { mfaVerified: true });
    const response = await world.api(session, method, url, payload);
    expect(response.statusCode, response.body).toBe(status);
    return response.json() as Record<string, unknown>;
  }

  function hooksFor(subject: string) {
    return receiver.received.filter(
      (hook) => (JSON.parse(hook.body) as { subject: { id: string } }).subject.id === subject,
    );
  }

  beforeAll(async () => {
    world = await buildReportingWorld(factory, { start, reporting: { webhooks: { disableAfterFailures: 4 } } });
    receiver = await startHookReceiver();
    units.c1 = await createUnit(world.server, world.server.rootId, { name: 'Customer One' });
    units.c2 = await createUnit(world.server, world.server.rootId, { name: 'Customer Two' });
    const base = '/api/v1/business-units';
    await api(
      'POST',
      `${base}/${units.c1}/alert-subscriptions`,
      {
        subscriber: { email: 'ops@c1.test' },
        eventTypes: ['backup.failed', 'webhook.disabled'],
      },
      201,
    );
    await api(
      'POST',
      `${base}/${world.server.rootId}/alert-subscriptions`,
      {
        subscriber: { email: 'noc@msp.test' },
        eventTypes: ['backup.failed'],
      },
      201,
    );
    await api(
      'POST',
      `${base}/${units.c2}/alert-subscriptions`,
      {
        subscriber: { email: 'ops@c2.test' },
        eventTypes: ['backup.failed'],
      },
      201,
    );
    const hook = await api(
      'POST',
      `${base}/${units.c1}/webhooks`,
      { url: receiver.url, eventTypes: ['backup.failed'] },
      201,
    );
    secret = hook.secret as string;
  });

  afterAll(async () => {
    await receiver.close();
    await world.close();
  });

  it('alerts once per incident, by e-mail and signed webhook, then sends a recovery notice', async () => {
    await emit('backup.failed', units.c1, 'ds-1', { reason: 'disk full' });
    const [hook] = hooksFor('ds-1');
    const now = world.clock.now() / 1000;
    expect(verifySignature(secret, hook!.headers[signatureHeader] as string, hook!.body, now)).toBe(true);
    expect(verifySignature(secret, hook!.headers[signatureHeader] as string, `${hook!.body} `, now)).toBe(false);
    // A receiver refuses a replay of the same delivery outside its window.
    expect(verifySignature(secret, hook!.headers[signatureHeader] as string, hook!.body, now + 301)).toBe(false);
    world.clock.advance(10 * minute);
    await emit('backup.failed', units.c1, 'ds-1', { reason: 'disk still full' });
    expect(world.smtp.to('ops@c1.test').map((m) => m.subject)).toEqual(['Coffer: Backup failed: ds-1']);
    expect(world.smtp.to('noc@msp.test')).toHaveLength(1);
    expect(world.smtp.to('ops@c2.test')).toHaveLength(0);
    expect(hooksFor('ds-1')).toHaveLength(1);
    expect(JSON.parse(hook!.body)).toMatchObject({
      type: 'backup.failed',
      businessUnit: { id: units.c1, name: 'Customer One' },
      subject: { id: 'ds-1' },
      incident: { status: 'open' },
      details: { reason: 'disk full' },
    });
    expect(hook!.headers['coffer-event']).toBe('backup.failed');

    world.clock.advance(60 * minute);
    await emit('backup.succeeded', units.c1, 'ds-1');
    expect(world.smtp.to('ops@c1.test').map((m) => m.subject)).toEqual([
      'Coffer: Backup failed: ds-1',
      'Coffer: Recovered: backups of ds-1 succeed again',
    ]);
    expect(world.smtp.to('noc@msp.test')).toHaveLength(2);
    expect(hooksFor('ds-1').map((h) => JSON.parse(h.body).type)).toEqual(['backup.failed', 'backup.failed.resolved']);
    const incidents = await api('GET', `/api/v1/business-units/${units.c1}/alerts`);
    expect(incidents.items).toEqual([
      expect.objectContaining({ type: 'backup.failed', status: 'resolved', events: 2, notified: true }),
    ]);
  });

  it('keeps a subtree silent during its maintenance window, and only that subtree', async () => {
    await api(
      'POST',
      `/api/v1/business-units/${units.c1}/maintenance-windows`,
      {
        startsAt: new Date(world.clock.now()).toISOString(),
        endsAt: new Date(world.clock.now() + 120 * minute).toISOString(),
        reason: 'storage migration',
      },
      201,
    );
    const before = world.smtp.messages.length;
    await emit('backup.failed', units.c1, 'ds-2');
    await emit('backup.failed', units.c2, 'ds-3');
    expect(world.smtp.to('ops@c2.test').map((m) => m.subject)).toEqual(['Coffer: Backup failed: ds-3']);
    expect(world.smtp.messages.length - before).toBe(2); // ops@c2 and noc (ds-3); nothing about ds-2
    expect(hooksFor('ds-2')).toHaveLength(0);
    const silent = await api('GET', `/api/v1/business-units/${units.c1}/alerts?status=open`);
    expect(silent.items).toEqual([expect.objectContaining({ subject: { id: 'ds-2', name: 'ds-2' }, notified: false })]);

    // Still failing after the window: the alert goes out then, once.
    world.clock.advance(180 * minute);
    await emit('backup.failed', units.c1, 'ds-2');
    await emit('backup.failed', units.c1, 'ds-2');
    expect(world.smtp.to('ops@c1.test').filter((m) => m.subject.includes('ds-2'))).toHaveLength(1);
    expect(hooksFor('ds-2')).toHaveLength(1);
  });

  it('retries a webhook delivery that gets HTTP 500 until it succeeds, with the attempts logged', async () => {
    receiver.respond = (_hook, index) => (index === receiver.received.length - 1 && failures-- > 0 ? 500 : 204);
    let failures = 2;
    await emit('backup.failed', units.c1, 'ds-4');
    for (let i = 0; i < 6 && hooksFor('ds-4').length < 3; i++) await world.at(world.clock.now() + 2 * minute);
    expect(hooksFor('ds-4')).toHaveLength(3);
    const hooks = await api('GET', `/api/v1/business-units/${units.c1}/webhooks`);
    const hookId = (hooks.items as { id: string }[])[0]!.id;
    const log = await api('GET', `/api/v1/webhooks/${hookId}/deliveries`);
    const delivery = (log.items as { id: string; eventType: string; status: string; attempts: number }[]).find(
      (d) => d.eventType === 'backup.failed' && d.attempts === 3,
    )!;
    expect(delivery.status).toBe('succeeded');
    const detail = await api('GET', `/api/v1/webhook-deliveries/${delivery.id}`);
    expect((detail.attemptLog as { statusCode: number }[]).map((a) => a.statusCode)).toEqual([500, 500, 204]);

    const again = await api('POST', `/api/v1/webhook-deliveries/${delivery.id}/redeliver`, {}, 202);
    await world.at(world.clock.now() + minute);
    const copies = hooksFor('ds-4');
    expect(copies).toHaveLength(4);
    expect(copies[3]!.body).toBe(copies[2]!.body);
    expect(copies[3]!.headers['coffer-delivery']).toBe(again.id);
  });

  it('disables a webhook after persistent failure, alerts about it, and resumes when re-enabled', async () => {
    receiver.respond = () => 500;
    await emit('backup.failed', units.c1, 'ds-5');
    for (let i = 0; i < 10; i++) await world.at(world.clock.now() + 5 * minute);
    const hooks = await api('GET', `/api/v1/business-units/${units.c1}/webhooks`);
    const hook = (hooks.items as { id: string; status: string; disabledReason: string }[])[0]!;
    expect(hook.status).toBe('disabled');
    expect(hook.disabledReason).toMatch(/4 consecutive failed deliveries; last error: HTTP 500/);
    const attempts = hooksFor('ds-5').length;
    expect(attempts).toBe(4);
    const notice = `Coffer: Webhook disabled after repeated failures: ${receiver.url}`;
    expect(world.smtp.to('ops@c1.test').map((m) => m.subject)).toContain(notice);
    expect(world.smtp.to(world.adminUser.email).map((m) => m.subject)).toEqual([notice]);

    await emit('backup.failed', units.c1, 'ds-6');
    await world.at(world.clock.now() + 10 * minute);
    expect(hooksFor('ds-6')).toHaveLength(0);

    receiver.respond = () => 204;
    const enabled = await api('PATCH', `/api/v1/webhooks/${hook.id}`, { status: 'active' });
    expect(enabled).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    await world.at(world.clock.now() + 30 * minute);
    // The delivery that was waiting resumes; events of the disabled period were never queued for it.
    expect(hooksFor('ds-5')).toHaveLength(attempts + 1);
    expect(hooksFor('ds-6')).toHaveLength(0);
    await emit('backup.failed', units.c1, 'ds-7');
    expect(hooksFor('ds-7')).toHaveLength(1);
  });
});
