import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { newId } from '../platform/index.ts';
import { backoffDelay } from '../platform/jobs/index.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { recordEvent } from './events.ts';
import { signatureHeader, signPayload } from './signature.ts';
import {
  countWebhookFailure,
  disableWebhookRow,
  dueDeliveryIds,
  findWebhook,
  insertAttempt,
  leaseDelivery,
  resetWebhookFailures,
  settleDelivery,
} from './webhook-store.ts';
import { checkWebhookUrl } from './webhook-url.ts';

/** Job kind that sends due webhook deliveries. */
export const flushWebhooksJob = 'reporting.flush-webhooks';

const excerptBytes = 1024;

interface PostResult {
  readonly statusCode: number | null;
  readonly excerpt: string | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** Associated data binding a sealed webhook secret to its webhook. */
export function webhookSecretContext(webhookId: string): string {
  return `reporting.webhook:${webhookId}`;
}

/**
 * POSTs `body` to `url`, connecting only to `address` (checked just before), so a DNS answer
 * that changes between the check and the connection cannot redirect the request inside the
 * network. Redirects are not followed; the response is read up to 1 KiB for the log.
 */
function post(url: URL, address: string, body: string, headers: Record<string, string>, timeoutMs: number) {
  const started = performance.now();
  const family = address.includes(':') ? 6 : 4;
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, durationMs: Math.round(performance.now() - started) });
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < excerptBytes) chunks.push(chunk.subarray(0, excerptBytes - size));
          size += chunk.length;
        });
        response.on('end', () =>
          finish({
            statusCode: response.statusCode ?? null,
            excerpt: Buffer.concat(chunks).toString('utf8'),
            error: null,
          }),
        );
        response.on('error', (error) =>
          finish({ statusCode: response.statusCode ?? null, excerpt: null, error: error.message }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
    request.on('error', (error) => finish({ statusCode: null, excerpt: null, error: error.message }));
    request.end(body);
  });
}

export interface WebhookFlushResult {
  readonly succeeded: number;
  readonly retried: number;
  readonly dead: number;
  readonly disabled: number;
}

/**
 * Sends due deliveries of active webhooks: the URL is re-checked against SSRF rules (DNS may
 * have changed since it was saved), the body is signed (`coffer-signature: t=…,v1=…`), a
 * 2xx answer within the timeout is success. Every attempt is logged. A failure is retried
 * with exponential backoff until `maxAttempts`; after `disableAfterFailures` consecutive
 * failed attempts the webhook is disabled and a `webhook.disabled` alert is raised.
 */
export async function flushWebhooks(deps: ReportingDeps, limit = 200): Promise<WebhookFlushResult> {
  const db = reportingDb(deps.database);
  const options = deps.webhooks;
  const owner = `${deps.queue.workerId}:${randomBytes(4).toString('hex')}`;
  let succeeded = 0;
  let retried = 0;
  let dead = 0;
  let disabled = 0;
  let handled = 0;
  while (handled < limit) {
    const ids = await dueDeliveryIds(db, deps.clock.now(), Math.min(50, limit - handled));
    if (ids.length === 0) break;
    for (const id of ids) {
      handled++;
      const leasedAt = deps.clock.now();
      const delivery = await leaseDelivery(db, id, owner, leasedAt, leasedAt + options.leaseMs);
      if (!delivery) continue;
      const webhook = await findWebhook(db, delivery.webhook_id);
      if (!webhook) continue;
      let result: PostResult;
      try {
        const checked = await checkWebhookUrl(webhook.url, {
          allowInsecureLoopback: options.allowInsecureLoopback,
          resolve: options.resolve,
        });
        const secret = deps.secrets.open(webhook.secret_sealed, webhookSecretContext(webhook.id));
        const timestamp = Math.floor(deps.clock.now() / 1000);
        const payloadId = (JSON.parse(delivery.payload) as { id?: string }).id ?? delivery.event_id;
        result = await post(
          checked.url,
          checked.addresses[0]!,
          delivery.payload,
          {
            'content-type': 'application/json',
            'user-agent': 'Coffer-Webhooks/1',
            [signatureHeader]: signPayload(secret, timestamp, delivery.payload),
            'coffer-event': delivery.event_type,
            'coffer-event-id': payloadId,
            'coffer-delivery': delivery.id,
          },
          options.timeoutMs,
        );
      } catch (error) {
        result = { statusCode: null, excerpt: null, error: (error as Error).message, durationMs: 0 };
      }
      const now = deps.clock.now();
      const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      const error = ok ? null : (result.error ?? `HTTP ${result.statusCode}`);
      await insertAttempt(db, {
        id: newId(now),
        delivery_id: delivery.id,
        attempted_at: now,
        duration_ms: result.durationMs,
        status_code: result.statusCode,
        error,
        response_excerpt: result.excerpt,
      });
      if (ok) {
        await settleDelivery(db, delivery.id, owner, {
          status: 'succeeded',
          now,
          statusCode: result.statusCode,
          error: null,
        });
        await resetWebhookFailures(db, webhook.id, now);
        succeeded++;
        continue;
      }
      const attempt = delivery.attempts + 1;
      if (attempt >= options.maxAttempts) {
        await settleDelivery(db, delivery.id, owner, { status: 'dead', now, statusCode: result.statusCode, error });
        dead++;
      } else {
        const nextAttemptAt = now + Math.max(1000, backoffDelay(attempt, options.backoff, options.random));
        await settleDelivery(db, delivery.id, owner, {
          status: 'pending',
          now,
          nextAttemptAt,
          statusCode: result.statusCode,
          error,
        });
        retried++;
      }
      const failures = await countWebhookFailure(db, webhook.id, now);
      if (failures >= options.disableAfterFailures && (await disableWebhook(deps, webhook.id, failures, error ?? ''))) {
        disabled++;
      }
    }
  }
  return { succeeded, retried, dead, disabled };
}

/** Disables the webhook and raises `webhook.disabled` in one transaction; false when it was not active. */
async function disableWebhook(deps: ReportingDeps, webhookId: string, failures: number, lastError: string) {
  const db = reportingDb(deps.database);
  const now = deps.clock.now();
  return db.transaction().execute(async (trx) => {
    const webhook = await findWebhook(trx, webhookId);
    const reason = `${failures} consecutive failed deliveries; last error: ${lastError}`.slice(0, 500);
    if (!webhook || !(await disableWebhookRow(trx, webhookId, now, reason))) return false;
    await recordEvent(
      trx,
      deps.queue,
      {
        type: 'webhook.disabled',
        buId: webhook.bu_id,
        subjectId: webhook.id,
        subjectName: webhook.url,
        occurredAt: now,
        details: {
          failures,
          lastError: lastError.slice(0, 300),
          ...(webhook.created_by ? { notifyUserId: webhook.created_by } : {}),
        },
        sourceKey: `webhook.disabled:${webhook.id}:${now}`,
      },
      now,
    );
    deps.log.warn({ webhookId, failures }, 'webhook disabled after persistent failure');
    return true;
  });
}
