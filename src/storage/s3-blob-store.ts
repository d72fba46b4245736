import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import {
  assertBlobKey,
  type BlobInfo,
  BlobNotFoundError,
  BlobRangeError,
  type BlobStore,
  type GetOptions,
  StorageError,
} from './blob-store.ts';

/** Where and how to reach an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …). */
export interface S3BlobStoreOptions {
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Key prefix inside the bucket (e.g. `zone1/`), so one bucket can hold several stores. */
  readonly prefix?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted servers. */
  readonly forcePathStyle?: boolean;
}

/** The S3 service could not be reached or refused the request. */
export class S3StoreError extends StorageError {
  constructor(message: string, cause?: unknown) {
    super('storage_unavailable', message, { cause });
  }
}

type S3Sdk = typeof import('@aws-sdk/client-s3');

/**
 * The AWS SDK takes ~0.5 s to load; it is imported on the first request, so processes that
 * only touch local stores (the repository CLI, the engine) never load it.
 */
let sdkLoading: Promise<S3Sdk> | undefined;
function loadSdk(): Promise<S3Sdk> {
  sdkLoading ??= import('@aws-sdk/client-s3');
  return sdkLoading;
}

function statusOf(sdk: S3Sdk, error: unknown): number | undefined {
  return error instanceof sdk.S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

/**
 * A BlobStore on an S3-compatible bucket. Puts are whole-object and atomic on every S3
 * implementation. Checksums are computed only when the service requires them: the SDK's
 * default streamed checksum framing is stored verbatim inside objects by some servers
 * (docs/decisions/0009-s3-client-settings.md).
 */
export class S3BlobStore implements BlobStore {
  readonly #options: S3BlobStoreOptions;
  #client: S3Client | undefined;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3BlobStoreOptions) {
    this.#options = options;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? '';
  }

  /** The SDK module and this store's client, both created on first use. */
  async #sdk(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    const sdk = await loadSdk();
    const options = this.#options;
    this.#client ??= new sdk.S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
    });
    return { sdk, client: this.#client };
  }

  #key(key: string): string {
    assertBlobKey(key);
    return `${this.#prefix}${key}`;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const objectKey = this.#key(key);
    const { sdk, client } = await this.#sdk();
    try {
      await client.send(
        new sdk.PutObjectCommand({ Bucket: this.#bucket, Key: objectKey, Body: data, ContentLength: data.byteLength }),
      );
    } catch (error) {
      throw new S3StoreError(`cannot store ${key} in bucket ${this.#bucket}: ${(error as Error).message}`, error);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const offset = options.offset ?? 0;
    const ranged = options.offset !== undefined || options.length !== undefined;
    if (options.length === 0) {
      const info = await this.head(key);
      if (!info) throw new BlobNotFoundError(key);
      if (offset > info.size) throw new BlobRangeError(key, offset, 0, info.size);
      return new Uint8Array(0);
    }
    const range = ranged
      ? `bytes=${offset}-${options.length === undefined ? '' : offset + options.length - 1}`
      : undefined;
    const objectKey = this.#key(key);
    const { sdk, client } = await this.#sdk();
    let body: Uint8Array;
    let total: number | undefined;
    try {
      const response = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.#bucket, Key: objectKey, ...(range ? { Range: range } : {}) }),
      );
      if (!response.Body) throw new S3StoreError(`empty response for ${key}`);
      body = await response.Body.transformToByteArray();
      const contentRange = response.ContentRange ? /\/(\d+)$/.exec(response.ContentRange) : null;
      total = contentRange?.[1] ? Number(contentRange[1]) : undefined;
    } catch (error) {
      const status = statusOf(sdk, error);
      if (status === 404) throw new BlobNotFoundError(key, { cause: error });
      if (status === 416) {
        const info = await this.head(key);
        throw new BlobRangeError(key, offset, options.length ?? 0, info?.size ?? 0);
      }
      if (error instanceof StorageError) throw error;
      throw new S3StoreError(`cannot read ${key} from bucket ${this.#bucket}: ${(error as Error).message}`, error);
    }
    if (options.length !== undefined && body.byteLength !== options.length) {
      throw new BlobRangeError(key, offset, options.length, total ?? offset + body.byteLength);
    }
    if (options.into) {
      options.into.set(body, 0);
      return options.into.subarray(0, body.byteLength);
    }
    return body;
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const objectKey = this.#key(key);
    const { sdk, client } = await this.#sdk();
    try {
      const response = await client.send(new sdk.HeadObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      return { key, size: response.ContentLength ?? 0 };
    } catch (error) {
      if (statusOf(sdk, error) === 404) return undefined;
      throw new S3StoreError(`cannot inspect ${key} in bucket ${this.#bucket}: ${(error as Error).message}`, error);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const { sdk, client } = await this.#sdk();
    let token: string | undefined;
    do {
      let response: ListObjectsV2CommandOutput;
      try {
        response = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: `${this.#prefix}${prefix}`,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw new S3StoreError(`cannot list ${prefix} in bucket ${this.#bucket}: ${(error as Error).message}`, error);
      }
      for (const object of response.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key.slice(this.#prefix.length), size: object.Size ?? 0 };
      }
      token = response.IsTruncated ? response.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.#key(key);
    const { sdk, client } = await this.#sdk();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (error) {
      if (statusOf(sdk, error) === 404) return;
      throw new S3StoreError(`cannot delete ${key} from bucket ${this.#bucket}: ${(error as Error).message}`, error);
    }
  }

  /** Releases the HTTP connections. */
  close(): void {
    this.#client?.destroy();
    this.#client = undefined;
  }
}
