import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from '../platform/index.ts';

/**
 * Prometheus metrics for one server instance (its own registry, so several servers in
 * one test process never collide). Routes are labelled by their pattern, not the raw
 * URL, so ids never explode the label space.
 */
export function registerMetrics(app: FastifyInstance, queue: JobQueue): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'coffer_' });
  const requests = new Counter({
    name: 'coffer_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'coffer_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'coffer_jobs',
    help: 'Jobs in the durable queue by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const stats = await queue.queueStats();
      for (const [status, count] of Object.entries(stats)) this.set({ status }, count);
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return registry;
}
