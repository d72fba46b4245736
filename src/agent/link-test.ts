import { randomBytes } from 'node:crypto';
import type { ServerConnection } from './http-client.ts';

/**
 * Measures the upload rate to the server: sends `bytes` of random data (incompressible,
 * like encrypted packs) to the link-test route and times the exchange. Returns bytes/s.
 */
export async function measureUploadRate(connection: ServerConnection, bytes = 4 * 1024 * 1024): Promise<number> {
  const sample = randomBytes(bytes);
  // A small warm-up request opens (and for HTTPS, handshakes) the connection first.
  await connection.request('POST', '/api/v1/agent/link-test', { body: sample.subarray(0, 1024) });
  const started = performance.now();
  await connection.request('POST', '/api/v1/agent/link-test', { body: sample });
  const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
  return Math.round(bytes / seconds);
}
