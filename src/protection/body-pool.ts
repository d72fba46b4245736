import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidUploadError } from './errors.ts';

/** Buffers are handed out in capacity steps of this size (a 16.2 MiB pack takes a 20 MiB buffer). */
const step = 4 * 1024 * 1024;
/** Free buffers kept per capacity, and in all. */
const keptPerCapacity = 4;
const keptBytes = 256 * 1024 * 1024;

const pooled = Symbol('coffer.pooledBody');

/**
 * Upload bodies (packs of up to 64 MiB) read into reused buffers. A fresh buffer per upload
 * costs more than the rest of the request: memory touched for the first time is slow on
 * these virtual machines, and the garbage collector then has to return it. A handler gives
 * its buffer back ({@link releaseBody}) once it is done with the bytes — not a response hook:
 * a client that disconnects ends the response while the handler may still be writing them.
 */
export class BodyPool {
  readonly #free = new Map<number, Buffer[]>();
  #freeBytes = 0;

  take(length: number): Buffer {
    const capacity = Math.max(step, Math.ceil(length / step) * step);
    const buffer = this.#free.get(capacity)?.pop();
    if (buffer) {
      this.#freeBytes -= capacity;
      return buffer;
    }
    return Buffer.allocUnsafeSlow(capacity);
  }

  give(buffer: Buffer): void {
    const list = this.#free.get(buffer.byteLength) ?? [];
    if (list.length >= keptPerCapacity || this.#freeBytes + buffer.byteLength > keptBytes) return;
    list.push(buffer);
    this.#free.set(buffer.byteLength, list);
    this.#freeBytes += buffer.byteLength;
  }

  /** Free bytes held (tests). */
  get freeBytes(): number {
    return this.#freeBytes;
  }
}

/** The process's pool of upload bodies. */
export const uploadBodies = new BodyPool();

/**
 * Registers the `application/octet-stream` parser: the body must state its length (every
 * agent upload does), is read into a pooled buffer and handed on as a view of exactly that
 * length; a body longer or shorter than it said, or over `limit`, is refused.
 */
export function registerOctetStreamParser(app: FastifyInstance, limit: number, pool = uploadBodies): void {
  app.addContentTypeParser('application/octet-stream', { bodyLimit: limit }, (request, payload, done) => {
    const declared = Number(request.headers['content-length']);
    if (!Number.isSafeInteger(declared) || declared < 0) {
      done(new InvalidUploadError('an upload must state its Content-Length'), undefined);
      return;
    }
    const routeLimit = Math.min(limit, request.routeOptions.bodyLimit ?? limit);
    if (declared > routeLimit) {
      const error = Object.assign(new Error(`the body is larger than ${routeLimit} bytes`), {
        statusCode: 413,
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      });
      done(error, undefined);
      return;
    }
    const buffer = pool.take(declared);
    (request as FastifyRequest & { [pooled]?: Buffer })[pooled] = buffer;
    let received = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (received + chunk.byteLength > declared) {
        failed = true;
        done(new InvalidUploadError(`the body is longer than its Content-Length of ${declared} bytes`), undefined);
        return;
      }
      chunk.copy(buffer, received);
      received += chunk.byteLength;
    });
    payload.on('end', () => {
      if (failed) return;
      if (received !== declared) {
        done(new InvalidUploadError(`the body ended after ${received} of ${declared} bytes`), undefined);
        return;
      }
      done(null, buffer.subarray(0, declared));
    });
    payload.on('error', (error) => {
      if (!failed) done(error, undefined);
      failed = true;
    });
  });
}

/** Gives the request's body buffer back to the pool; the bytes must not be used afterwards. */
export function releaseBody(request: FastifyRequest, pool = uploadBodies): void {
  const holder = request as FastifyRequest & { [pooled]?: Buffer };
  const buffer = holder[pooled];
  if (!buffer) return;
  holder[pooled] = undefined;
  pool.give(buffer);
}
