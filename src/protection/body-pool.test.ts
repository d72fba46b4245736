import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { BodyPool, registerOctetStreamParser, releaseBody } from './body-pool.ts';

const mib = 1024 * 1024;

describe('upload body pool', () => {
  it('hands out buffers in 4 MiB steps and reuses what is given back, up to a bound', () => {
    const pool = new BodyPool();
    const first = pool.take(5 * mib);
    expect(first.byteLength).toBe(8 * mib);
    pool.give(first);
    expect(pool.freeBytes).toBe(8 * mib);
    expect(pool.take(7 * mib)).toBe(first);
    expect(pool.take(7 * mib)).not.toBe(first);
    const many = Array.from({ length: 6 }, () => pool.take(mib));
    for (const buffer of many) pool.give(buffer);
    expect(pool.freeBytes).toBe(4 * 4 * mib); // four kept per capacity
  });

  it('reads a body of exactly its stated length into a pooled buffer, and refuses others', async () => {
    const pool = new BodyPool();
    const app = Fastify();
    registerOctetStreamParser(app, 64 * 1024, pool);
    // The server's problem handler turns InvalidUploadError into 400; this bare app says what it got.
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
      reply.status(error.statusCode ?? 400).send({ message: error.message }),
    );
    const seen: Buffer[] = [];
    app.put('/small', { bodyLimit: 1000 }, async (request) => {
      const body = request.body as Buffer;
      seen.push(Buffer.from(body));
      const size = body.byteLength;
      releaseBody(request, pool);
      return { size };
    });
    const put = (payload: Buffer, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'PUT',
        url: '/small',
        payload,
        headers: { 'content-type': 'application/octet-stream', ...headers },
      });

    const ok = await put(Buffer.alloc(700, 7));
    expect(ok.json()).toEqual({ size: 700 });
    expect(seen[0]).toEqual(Buffer.alloc(700, 7));
    expect(pool.freeBytes).toBe(4 * mib); // given back after the handler
    const again = await put(Buffer.alloc(300, 9));
    expect(again.json()).toEqual({ size: 300 });
    expect(seen[1]).toEqual(Buffer.alloc(300, 9)); // a reused buffer holds only this body's bytes

    expect((await put(Buffer.alloc(1001))).statusCode).toBe(413);
    const short = await put(Buffer.alloc(10), { 'content-length': '20' });
    expect(short.statusCode).toBe(400);
    expect(short.json().message).toBe('the body ended after 10 of 20 bytes');
    await app.close();
  });
});
