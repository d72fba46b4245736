import { randomBytes } from 'node:crypto';
import { constants, type Dirent, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  assertBlobKey,
  type BlobInfo,
  BlobNotFoundError,
  BlobRangeError,
  type BlobStore,
  type BlobUpload,
  type GetOptions,
  StorageError,
} from './blob-store.ts';

/** Prefix of in-flight temporary files; `list` hides them. */
const temporaryPrefix = '.tmp-';

/** Options of the filesystem store. */
export interface FsBlobStoreOptions {
  /** fsync files and directories on put (default true); tests may turn it off for speed. */
  readonly durable?: boolean;
}

/**
 * `BlobStore` on a local directory. A put writes a temporary file in the target folder,
 * fsyncs it, renames it over the key and fsyncs the folder, so a crash leaves either the
 * old object, the new one, or a stray `.tmp-*` file that `list` never reports.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #durable: boolean;
  readonly #knownDirectories = new Set<string>();
  /**
   * Two objects being stored at once when each one waits for its fsync: a backup's pack
   * assembler then fills one pack while the previous one is flushed (initial backup of the
   * benchmark corpus 4.94 → 4.82 s mean of five alternating runs).
   */
  readonly writesInFlight: number;

  constructor(root: string, options: FsBlobStoreOptions = {}) {
    this.root = root;
    this.#durable = options.durable ?? true;
    this.writesInFlight = this.#durable ? 2 : 1;
  }

  #path(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }

  async #ensureDirectory(directory: string): Promise<void> {
    if (this.#knownDirectories.has(directory)) return;
    await fsp.mkdir(directory, { recursive: true });
    this.#knownDirectories.add(directory);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const upload = await this.#startUpload(dirname(this.#path(key)), key);
    await upload.write(data, 0);
    await upload.commit(key);
  }

  /**
   * A temporary file in `folder`, written in place and renamed to its key on commit: a
   * backup streams each pack into one instead of holding it in memory. A crash leaves a
   * `.tmp-*` file that `list` never reports and `removeStaleTemporaryFiles` removes.
   */
  async startUpload(folder: string): Promise<BlobUpload> {
    return this.#startUpload(this.#path(folder), `an object in ${folder}`);
  }

  /** An upload into a temporary file in `directory`; `what` names it in errors before commit. */
  async #startUpload(directory: string, what: string): Promise<BlobUpload> {
    await this.#ensureDirectory(directory);
    const temporary = join(directory, `${temporaryPrefix}${randomBytes(8).toString('hex')}`);
    const handle = await fsp.open(temporary, 'w', 0o600);
    let open = true;
    const close = async (): Promise<void> => {
      if (!open) return;
      open = false;
      await handle.close();
    };
    const discard = async (): Promise<void> => {
      await close().catch(() => undefined);
      await fsp.rm(temporary, { force: true });
    };
    const failed = async (name: string, error: unknown): Promise<never> => {
      await discard();
      throw new StorageError('blob_write_failed', `cannot write ${name}: ${(error as Error).message}`, {
        cause: error,
      });
    };
    return {
      write: async (bytes, offset) => {
        try {
          let written = 0;
          while (written < bytes.byteLength) {
            const result = await handle.write(bytes, written, bytes.byteLength - written, offset + written);
            written += result.bytesWritten;
          }
        } catch (error) {
          return failed(what, error);
        }
      },
      commit: async (key) => {
        const path = this.#path(key);
        try {
          if (this.#durable) await handle.sync();
          await close();
          await this.#ensureDirectory(dirname(path));
          await fsp.rename(temporary, path);
        } catch (error) {
          return failed(key, error);
        }
        // The rename is durable once its folder is synced.
        if (this.#durable) await syncDirectory(dirname(path));
      },
      abort: discard,
    };
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const path = this.#path(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, constants.O_RDONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key, { cause: error });
      throw error;
    }
    try {
      const offset = options.offset ?? 0;
      let length = options.length;
      if (length === undefined) {
        const { size } = await handle.stat();
        length = size - offset;
      }
      if (offset < 0 || length < 0) throw new BlobRangeError(key, offset, length, 0);
      const target = options.into ? options.into.subarray(0, length) : new Uint8Array(length);
      if (target.byteLength < length) throw new BlobRangeError(key, offset, length, target.byteLength);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(target, read, length - read, offset + read);
        if (bytesRead === 0) throw new BlobRangeError(key, offset, length, (await handle.stat()).size);
        read += bytesRead;
      }
      return target;
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const stats = await fsp.stat(this.#path(key));
      return stats.isFile() ? { key, size: stats.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    // Walk only the folders the prefix can reach: `data/ab` lists data/ab* recursively.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const start = base === '' ? this.root : join(this.root, ...base.split('/'));
    yield* this.#walk(start, base, prefix);
  }

  /**
   * Lists the objects under `directory` folder by folder, reading up to `foldersAhead`
   * folders (their entries and their files' sizes) at once: a backup lists every pack to find
   * those a killed run left unindexed, and one `readdir` and one `stat` after another cost
   * a wait on the disk each (docs/decisions/0019).
   */
  async *#walk(directory: string, keyBase: string, prefix: string): AsyncIterable<BlobInfo> {
    const waiting: Folder[] = [{ directory, keyBase }];
    const reading: Promise<ListedFolder>[] = [];
    while (waiting.length > 0 || reading.length > 0) {
      while (reading.length < foldersAhead && waiting.length > 0) {
        const next = waiting.shift()!;
        const folder = readFolder(next.directory, next.keyBase, prefix);
        // Awaited below in order; a folder read ahead of a consumer that stops early must not
        // turn into an unhandled rejection.
        folder.catch(() => undefined);
        reading.push(folder);
      }
      const { objects, folders } = await reading.shift()!;
      yield* objects;
      waiting.unshift(...folders);
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.#path(key), { force: true });
  }

  /** Removes temporary files older than `olderThanMs` left by puts and uploads that never finished. */
  async removeStaleTemporaryFiles(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const visit = async (directory: string): Promise<void> => {
      const entries = await fsp.readdir(directory, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) await visit(path);
        else if (entry.name.startsWith(temporaryPrefix)) {
          const stats = await fsp.stat(path).catch(() => undefined);
          if (stats && now - stats.mtimeMs > olderThanMs) {
            await fsp.rm(path, { force: true });
            removed += 1;
          }
        }
      }
    };
    await visit(this.root);
    return removed;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await fsp.open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Folders `FsBlobStore.list` reads at once. */
const foldersAhead = 8;

/** A folder to list, and the key its objects' keys start with. */
interface Folder {
  readonly directory: string;
  readonly keyBase: string;
}

interface ListedFolder {
  readonly objects: BlobInfo[];
  readonly folders: Folder[];
}

/** One folder's objects under `prefix` (with their sizes, taken at once) and the subfolders to walk. */
async function readFolder(directory: string, keyBase: string, prefix: string): Promise<ListedFolder> {
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(directory, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { objects: [], folders: [] };
    throw error;
  }
  const files: { key: string; path: string }[] = [];
  const folders: Folder[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const key = keyBase === '' ? entry.name : `${keyBase}/${entry.name}`;
    const path = join(directory, entry.name);
    if (entry.isFile() && key.startsWith(prefix)) files.push({ key, path });
    else if (entry.isDirectory() && (key.startsWith(prefix) || prefix.startsWith(`${key}/`)))
      folders.push({ directory: path, keyBase: key });
  }
  const sizes = await Promise.all(
    files.map(({ path }) =>
      fsp.stat(path).then(
        (stats) => stats.size,
        () => undefined,
      ),
    ),
  );
  const objects: BlobInfo[] = [];
  for (const [i, { key }] of files.entries()) {
    const size = sizes[i];
    if (size !== undefined) objects.push({ key, size });
  }
  return { objects, folders };
}
