import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build:web` writes the console (web/vite.config.ts). */
export const defaultUiRoot = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const compressible = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);

/** Paths that belong to the server itself: never answered with the console. */
const serverPrefixes = ['/api/', '/metrics', '/healthz', '/readyz'];

interface CachedFile {
  key: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

/**
 * Serves the built web console (web/dist) at `/`: hashed files under `/assets/` are
 * cached for a year (their names change with their content), everything else, above all
 * `index.html`, is revalidated on every load (ETag). Any other GET path that is not an API
 * path gets `index.html`, so the console's own routes (`/units/…`) survive a reload.
 * Without a build the console's paths answer 503 with the command that builds it.
 * Register after every API route: unknown `/api/…` paths still answer problem+json 404.
 */
export async function registerStaticUi(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = normalize(options.root ?? defaultUiRoot);
  const cache = new Map<string, CachedFile>();

  async function load(relative: string): Promise<CachedFile | null> {
    const path = normalize(join(root, relative));
    if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      return null;
    }
    if (!info.isFile()) return null;
    const key = `${info.mtimeMs}:${info.size}`;
    const cached = cache.get(path);
    if (cached?.key === key) return cached;
    const body = await readFile(path);
    const file: CachedFile = {
      key,
      body,
      gzip: compressible.has(extname(path)) && body.length > 1024 ? gzipSync(body) : null,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    };
    cache.set(path, file);
    return file;
  }

  function send(request: FastifyRequest, reply: FastifyReply, file: CachedFile, type: string, immutable: boolean) {
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('etag', file.etag);
    reply.header('vary', 'accept-encoding');
    reply.type(type);
    if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
    const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (file.gzip && acceptsGzip) {
      reply.header('content-encoding', 'gzip');
      return reply.send(file.gzip);
    }
    return reply.send(file.body);
  }

  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (serverPrefixes.some((prefix) => pathname === prefix.replace(/\/$/, '') || pathname.startsWith(prefix))) {
      return reply.callNotFound();
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return reply.callNotFound();
    }
    if (relative.includes('\0')) return reply.callNotFound();
    const extension = extname(relative);
    if (extension !== '' && relative !== '/') {
      const file = await load(relative);
      if (!file) return reply.callNotFound();
      return send(
        request,
        reply,
        file,
        contentTypes[extension] ?? 'application/octet-stream',
        relative.startsWith('/assets/'),
      );
    }
    const index = await load('index.html');
    if (!index) {
      reply.header('cache-control', 'no-store');
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built. Run `npm run build:web` (npm start does it when needed).\n');
    }
    return send(request, reply, index, contentTypes['.html']!, false);
  });
}
