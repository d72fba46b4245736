import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { isIP, type Server as NetServer } from 'node:net';
import type { TlsMaterial } from './tls.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The sockets Coffer listens on: HTTPS (TLS 1.2+) on the public address, and plain HTTP
 * only on loopback (or for trusted TLS-terminating proxies). A client speaking plain HTTP
 * (or TLS below 1.2) to the HTTPS port fails the handshake and is disconnected; the
 * server logs it at debug level and carries on. (Answering such a client with a readable
 * 400 would need to peek at the first byte, which forces TLS through a JavaScript stream
 * wrapper and costs upload throughput.)
 */
export class Listeners {
  readonly https: HttpsServer | undefined;
  readonly http: HttpServer;
  #tls: TlsMaterial | undefined;

  constructor(handler: Handler, tls: TlsMaterial | undefined, onTlsClientError?: (error: Error) => void) {
    this.http = createHttpServer(handler);
    this.#tls = tls;
    if (tls) {
      this.https = createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler);
      this.https.on('tlsClientError', (error, socket) => {
        onTlsClientError?.(error);
        socket.destroy();
      });
    }
  }

  get tls(): TlsMaterial | undefined {
    return this.#tls;
  }

  /** Swaps the certificate for new connections; open connections keep theirs. */
  reload(tls: TlsMaterial): void {
    if (!this.https) throw new Error('HTTPS is off; nothing to reload');
    this.https.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
    this.#tls = tls;
  }

  async listenHttp(host: string, port: number): Promise<number> {
    return listen(this.http, host, port);
  }

  async listenHttps(host: string, port: number): Promise<number> {
    if (!this.https) throw new Error('HTTPS is off');
    return listen(this.https, host, port);
  }

  /** Stops accepting; resolves once open HTTP exchanges have finished. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [closeServer(this.http)];
    if (this.https) closing.push(closeServer(this.https));
    this.http.closeIdleConnections();
    this.https?.closeIdleConnections();
    await Promise.all(closing);
  }
}

function listen(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
