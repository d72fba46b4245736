import { type BlobInfo, BlobNotFoundError, BlobRangeError, type BlobStore, type GetOptions } from '../storage/index.ts';
import { type ServerConnection, ServerError } from './http-client.ts';

/**
 * The engine's BlobStore over the agent protocol (docs/PROTOCOL.md): the engine runs on
 * the agent exactly as on a local repository, and every object call becomes a request
 * to the vault's object routes. Writes carry the upload session, whose lease keeps the
 * packs safe from the server's garbage collection until the snapshot commits.
 */
/** The job this store works for was cancelled on the server. */
export class JobCancelledError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the job was cancelled on the server', options);
    this.name = 'JobCancelledError';
  }
}

export class HttpBlobStore implements BlobStore {
  readonly #connection: ServerConnection;
  readonly #base: string;
  readonly #session: () => string | undefined;
  #cancelled = false;
  /** Bytes sent in request bodies (the backup's transfer volume). */
  bytesSent = 0;
  /** Two pack uploads in flight: the server's hash, fsync and index rows for one overlap the next one's transfer. */
  readonly writesInFlight = 2;

  constructor(connection: ServerConnection, vaultId: string, session: () => string | undefined = () => undefined) {
    this.#connection = connection;
    this.#base = `/api/v1/agent/vaults/${encodeURIComponent(vaultId)}`;
    this.#session = session;
  }

  /**
   * Stops the store: every later call throws `JobCancelledError` (the job was cancelled on
   * the server; the engine stops at its next object call and leaves what it sent for a later run).
   */
  abort(): void {
    this.#cancelled = true;
  }

  async #request(...args: Parameters<ServerConnection['request']>): ReturnType<ServerConnection['request']> {
    if (this.#cancelled) throw new JobCancelledError();
    try {
      return await this.#connection.request(...args);
    } catch (error) {
      if (error instanceof ServerError && error.details.reason === 'job_cancelled') {
        this.#cancelled = true;
        throw new JobCancelledError({ cause: error });
      }
      throw error;
    }
  }

  #headers(): Record<string, string> {
    const session = this.#session();
    return session ? { 'x-coffer-session': session } : {};
  }

  #objectPath(key: string): string {
    return `${this.#base}/objects/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.#request('PUT', this.#objectPath(key), { body: data, headers: this.#headers() });
    this.bytesSent += data.byteLength;
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const headers = this.#headers();
    const ranged = options.offset !== undefined || options.length !== undefined;
    if (ranged) {
      const start = options.offset ?? 0;
      headers.range = options.length === undefined ? `bytes=${start}-` : `bytes=${start}-${start + options.length - 1}`;
      if (options.length === 0) return new Uint8Array(0);
    }
    try {
      const response = await this.#request('GET', this.#objectPath(key), {
        headers,
        ...(options.into ? { into: options.into } : {}),
      });
      if (options.length !== undefined && response.bytes.byteLength !== options.length) {
        throw new BlobRangeError(key, options.offset ?? 0, options.length, response.bytes.byteLength);
      }
      return response.bytes;
    } catch (error) {
      if (error instanceof ServerError && error.status === 404) throw new BlobNotFoundError(key, { cause: error });
      if (error instanceof ServerError && error.status === 400 && ranged) {
        throw new BlobRangeError(key, options.offset ?? 0, options.length ?? 0, -1);
      }
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const response = await this.#request('HEAD', this.#objectPath(key), {
      headers: this.#headers(),
      allow: [404],
    });
    if (response.status === 404) return undefined;
    const size = Number(response.headers['x-object-size'] ?? response.headers['content-length']);
    return { key, size };
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const response = await this.#request('GET', `${this.#base}/list`, {
      query: { prefix },
      headers: this.#headers(),
    });
    yield* response.json<{ items: BlobInfo[] }>().items;
  }

  async delete(key: string): Promise<void> {
    await this.#request('DELETE', this.#objectPath(key), { headers: this.#headers(), allow: [404] });
  }
}

/** Asks the server which of `ids` (32-byte blob IDs) the vault lacks, in batches. */
export async function missingBlobIds(
  connection: ServerConnection,
  vaultId: string,
  ids: readonly Uint8Array[],
  batch = 8192,
): Promise<Set<string>> {
  const missing = new Set<string>();
  for (let i = 0; i < ids.length; i += batch) {
    const slice = ids.slice(i, i + batch);
    const body = new Uint8Array(slice.length * 32);
    for (const [n, id] of slice.entries()) body.set(id, n * 32);
    const response = await connection.request(
      'POST',
      `/api/v1/agent/vaults/${encodeURIComponent(vaultId)}/blobs/missing`,
      {
        body,
      },
    );
    for (const id of response.json<{ missing: string[] }>().missing) missing.add(id);
  }
  return missing;
}
