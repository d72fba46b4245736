import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildTestServer, type TestServer } from '../helpers/server.ts';

describeEachDatabase('server shell', (factory) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await buildTestServer(factory, { env: { COFFER_BODY_LIMIT: '2048' } });
  });
  afterAll(async () => {
    await server.app.close();
  });

  it('answers liveness and readiness', async () => {
    const live = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('gives every response a request id, echoing a caller-supplied one', async () => {
    const own = await server.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(own.headers['x-request-id']).toBe('abc-123');
    const generated = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('answers unknown routes with problem+json 404', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ type: 'urn:coffer:problem:not_found', status: 404, title: 'Not found' });
  });

  it('refuses malformed JSON and oversized bodies with problem+json', async () => {
    const malformed = await server.app.inject({
      method: 'POST',
      url: '/healthz',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ type: 'urn:coffer:problem:malformed_request', status: 400 });

    const big = await server.app.inject({
      method: 'POST',
      url: '/healthz',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ data: 'x'.repeat(5000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');
    expect(big.json()).toMatchObject({ type: 'urn:coffer:problem:payload_too_large' });
  });

  it('serves an OpenAPI 3.1 document that states each route access', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/readyz']?.get?.['x-coffer-access']).toBe('public');
    const docs = await server.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('exports Prometheus metrics including HTTP request counts', async () => {
    await server.app.inject({ method: 'GET', url: '/healthz' });
    const response = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('coffer_http_requests_total{method="GET",route="/healthz",status="200"}');
    expect(response.body).toContain('coffer_process_cpu_user_seconds_total');
  });

  it('refuses to register an API route that does not declare its access', async () => {
    const { app } = await buildTestServer(factory);
    expect(() => app.get('/api/v1/undeclared', async () => ({}))).toThrow(/declares no access/);
    await app.close();
  });

  it('reports not ready when the database is gone', async () => {
    const other = await buildTestServer(factory);
    await other.database.close();
    const response = await other.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ type: 'urn:coffer:problem:not_ready', status: 503 });
    await other.app.close();
  });
});
