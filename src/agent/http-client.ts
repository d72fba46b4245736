import {
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { type TLSSocket, type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';

/** The server refused a request; `type` is the problem type (e.g. `urn:coffer:problem:conflict`). */
export class ServerError extends Error {
  readonly status: number;
  readonly type: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, type: string, detail: string, details: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'ServerError';
    this.status = status;
    this.type = type;
    this.details = details;
  }

  /** The stable code at the end of the problem type (`conflict`, `storage_full`, …). */
  get code(): string {
    return this.type.split(':').pop() ?? 'error';
  }
}

/** The server presented a certificate other than the pinned one. */
export class CertificatePinError extends Error {
  readonly presented: string;
  constructor(presented: string, pinned: readonly string[]) {
    super(
      `the server presented certificate SHA-256 ${presented}, not the pinned ${pinned.join(' or ')}; refusing to talk to it (a man in the middle, or a certificate changed without notice)`,
    );
    this.name = 'CertificatePinError';
    this.presented = presented;
  }
}

/** Options of a connection to the Coffer server. */
export interface ConnectionOptions {
  readonly url: string;
  /** Agent credential (Bearer); absent for enrolment. */
  readonly credential?: string;
  /**
   * SHA-256 fingerprints (`AB:CD:…`) the server certificate must match; empty means the
   * certificate is checked against the system's CA store instead.
   */
  readonly pins?: readonly string[];
  /** Transient failures (connection refused/reset, 502-504) are retried this long. */
  readonly retryForMs?: number;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  readonly headers?: Record<string, string>;
  /** JSON (object) or raw bytes (sent as application/octet-stream). */
  readonly body?: unknown;
  /** Read the response into this buffer (ranged pack reads reuse memory). */
  readonly into?: Uint8Array;
  /** Statuses returned to the caller instead of thrown (e.g. 404). */
  readonly allow?: readonly number[];
}

export interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: Uint8Array;
  json<T>(): T;
}

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

function normalise(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

/**
 * An HTTPS agent that pins the server certificate: the TLS handshake completes, the
 * presented certificate's SHA-256 is compared with the pins, and only then is the socket
 * handed to HTTP, so no request byte (and no credential) reaches an impostor.
 */
class PinnedAgent extends HttpsAgent {
  readonly #pins: string[];

  constructor(pins: readonly string[]) {
    super({ keepAlive: true, maxSockets: 16 });
    this.#pins = pins.map(normalise);
  }

  addPin(fingerprint: string): void {
    if (!this.#pins.includes(normalise(fingerprint))) this.#pins.push(normalise(fingerprint));
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    const socket: TLSSocket = tlsConnect({
      ...(options as TlsConnectionOptions),
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    let settled = false;
    const done = (error: Error | null) => {
      if (settled) return;
      settled = true;
      if (error) socket.destroy();
      callback?.(error, socket);
    };
    socket.once('secureConnect', () => {
      const presented = socket.getPeerCertificate().fingerprint256 ?? '';
      done(this.#pins.includes(normalise(presented)) ? null : new CertificatePinError(presented, this.#pins));
    });
    socket.once('error', (error) => done(error));
    return undefined;
  }
}

/** A connection to the Coffer server (keep-alive, pinned TLS, retries of transient failures). */
export class ServerConnection {
  readonly url: URL;
  readonly #credential: string | undefined;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #retryForMs: number;
  #pins: readonly string[];

  constructor(options: ConnectionOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:')
      throw new Error(`not an http(s) URL: ${options.url}`);
    this.#credential = options.credential;
    this.#pins = options.pins ?? [];
    this.#retryForMs = options.retryForMs ?? 120_000;
    if (this.url.protocol === 'http:') this.#agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
    else if (this.#pins.length > 0) this.#agent = new PinnedAgent(this.#pins);
    else this.#agent = new HttpsAgent({ keepAlive: true, maxSockets: 16, minVersion: 'TLSv1.2' });
  }

  get pins(): readonly string[] {
    return this.#pins;
  }

  /** Accepts another certificate from now on (a successor the server announced over the pinned link). */
  addPin(fingerprint: string): void {
    if (this.#agent instanceof PinnedAgent) this.#agent.addPin(fingerprint);
    this.#pins = [...this.#pins, fingerprint];
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  /** Sends a request, retrying transient failures; throws ServerError for refused ones. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const deadline = Date.now() + this.#retryForMs;
    let delay = 250;
    for (;;) {
      try {
        const response = await this.#once(method, path, options);
        if (response.status >= 502 && response.status <= 504 && Date.now() < deadline)
          throw new TransientStatus(response);
        if (response.status >= 400 && !(options.allow ?? []).includes(response.status)) throw toServerError(response);
        return response;
      } catch (error) {
        const transient =
          error instanceof TransientStatus || transientCodes.has((error as NodeJS.ErrnoException).code ?? '');
        if (!transient || Date.now() >= deadline) {
          if (error instanceof TransientStatus) throw toServerError(error.response);
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  #once(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(path, this.url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    if (this.#credential) headers.authorization = `Bearer ${this.#credential}`;
    let payload: Uint8Array | undefined;
    if (options.body instanceof Uint8Array) {
      payload = options.body;
      headers['content-type'] = 'application/octet-stream';
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      headers['content-type'] = 'application/json';
    }
    if (payload) headers['content-length'] = String(payload.byteLength);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, { method, headers, agent: this.#agent }, (response) => {
        const length = Number(response.headers['content-length'] ?? Number.NaN);
        const into =
          options.into && Number.isFinite(length) && length <= options.into.byteLength ? options.into : undefined;
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          if (into) into.set(chunk, received);
          else chunks.push(chunk);
          received += chunk.byteLength;
        });
        response.on('error', reject);
        response.on('end', () => {
          if (Number.isFinite(length) && received !== length && method !== 'HEAD') {
            const error = new Error(`truncated response: ${received} of ${length} bytes`) as NodeJS.ErrnoException;
            error.code = 'ECONNRESET';
            reject(error);
            return;
          }
          const bytes = into ? into.subarray(0, received) : Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            bytes,
            json: <T>() => JSON.parse(Buffer.from(bytes).toString('utf8')) as T,
          });
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  }
}

class TransientStatus extends Error {
  readonly response: Response;
  constructor(response: Response) {
    super(`server answered ${response.status}`);
    this.response = response;
  }
}

function toServerError(response: Response): ServerError {
  try {
    const problem = response.json<{ type?: string; detail?: string; title?: string } & Record<string, unknown>>();
    return new ServerError(
      response.status,
      problem.type ?? `urn:coffer:problem:http_${response.status}`,
      problem.detail ?? problem.title ?? `HTTP ${response.status}`,
      problem,
    );
  } catch {
    return new ServerError(response.status, `urn:coffer:problem:http_${response.status}`, `HTTP ${response.status}`);
  }
}
