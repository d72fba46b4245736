import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleNotFound } from '../../src/server/problem.ts';
import { registerStaticUi } from '../../src/server/static-ui.ts';
import { databaseFactories } from '../helpers/databases.ts';
import { buildTestServer } from '../helpers/server.ts';

let root: string;
let app: FastifyInstance;
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'coffer-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), script);
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(tmpdir(), 'coffer-secret.txt'), 'secret');
  app = Fastify();
  app.setNotFoundHandler(handleNotFound);
  app.get('/api/v1/known', async () => ({ ok: true }));
  await registerStaticUi(app, { root });
});

afterAll(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the web console served by the server', () => {
  it('answers console paths with index.html, revalidated on every load', async () => {
    for (const url of ['/', '/units/0190abc', '/admin/users?unit=x']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('<div id="root">');
    }
    const first = await app.inject({ url: '/units' });
    const again = await app.inject({ url: '/units', headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('caches hashed assets for a year and compresses them for clients that accept gzip', async () => {
    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.body).toBe(script);
    const zipped = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(script);
    const icon = await app.inject({ url: '/favicon.svg' });
    expect({ type: icon.headers['content-type'], cache: icon.headers['cache-control'] }).toEqual({
      type: 'image/svg+xml',
      cache: 'no-cache',
    });
  });

  it('never serves files outside the build, and leaves API paths to the API', async () => {
    for (const url of [
      '/assets/missing.js',
      '/../coffer-secret.txt',
      '/assets/%2e%2e/%2e%2e/coffer-secret.txt',
      '/%E0%A4%A',
    ]) {
      const response = await app.inject({ url });
      // A malformed escape is refused by the router itself (400).
      expect([400, 404], url).toContain(response.statusCode);
      expect(response.body).not.toBe('secret');
    }
    const unknownApi = await app.inject({ url: '/api/v1/nothing-here' });
    expect(unknownApi.statusCode).toBe(404);
    expect(unknownApi.headers['content-type']).toContain('application/problem+json');
    expect((await app.inject({ url: '/api/v1/known' })).json()).toEqual({ ok: true });
  });

  it('says how to build the console when it is missing', async () => {
    const bare = Fastify();
    await registerStaticUi(bare, { root: join(root, 'not-built') });
    const response = await bare.inject({ url: '/units' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build:web');
    await bare.close();
  });

  it('is registered after the API routes of the real server', async () => {
    const server = await buildTestServer(databaseFactories[0]!);
    try {
      const me = await server.app.inject({ url: '/api/v1/me' });
      expect(me.statusCode).toBe(401);
      const unknown = await server.app.inject({ url: '/api/v1/no-such-route' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ type: 'urn:coffer:problem:not_found' });
      const page = await server.app.inject({ url: '/units/anything' });
      expect([200, 503]).toContain(page.statusCode);
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    } finally {
      await server.app.close();
      await server.database.close();
    }
  });
});
