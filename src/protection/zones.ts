import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Database, NotFoundError, ValidationError } from '../platform/index.ts';
import { type BlobStore, FsBlobStore, S3BlobStore } from '../storage/index.ts';
import { protectionDb } from './db.ts';
import { PrefixedBlobStore } from './prefixed-blob-store.ts';
import type { ZoneTable } from './tables.ts';

/** ID of the filesystem zone every installation has (under `<dataDir>/zones/default`). */
export const defaultZoneId = 'default';

/** S3 settings of a zone as stored (the secret key is sealed apart). */
export interface S3ZoneSettings {
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly prefix?: string;
  readonly forcePathStyle?: boolean;
  readonly accessKeyId: string;
}

/** Long-lived dependencies of the zone registry. */
export interface ZoneOptions {
  readonly database: Database;
  readonly dataDir: string;
  /** 32-byte key the S3 secrets are sealed with (derived per purpose). */
  readonly secretKey: () => Uint8Array;
  /** Wraps every zone store (the runtime records storage problems; tests inject faults such as a full disk). */
  readonly wrapStore?: (zoneId: string, store: BlobStore) => BlobStore;
  /** Filesystem stores skip fsync (tests only). */
  readonly fastFilesystem?: boolean;
}

/** Opens zones and vault stores; caches one client per zone. */
export interface ZoneRegistry {
  ensureDefaultZone(now: number): Promise<void>;
  zoneStore(zoneId: string): Promise<BlobStore>;
  /** The vault's repository: the zone store under `vaults/<vaultId>/`. */
  vaultStore(vault: { id: string; zone_id: string }): Promise<BlobStore>;
  sealSecret(secret: string, zoneId: string): string;
  /** Drops cached clients (after a zone changed). */
  forget(zoneId: string): void;
}

function sealingKey(master: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), 'coffer protection zone secret v1', 32));
}

/** AES-256-GCM, `v1.<iv>.<tag>.<ciphertext>` in base64url, bound to the zone. */
export function sealZoneSecret(master: Uint8Array, secret: string, zoneId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(master), iv);
  cipher.setAAD(Buffer.from(`zone:${zoneId}`, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function openZoneSecret(master: Uint8Array, sealed: string, zoneId: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed zone secret is malformed');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(master), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(`zone:${zoneId}`, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** Where a filesystem zone keeps its objects: its configured path, or `<dataDir>/zones/<id>`. */
export function filesystemZoneRoot(row: Pick<ZoneTable, 'id' | 'settings'>, dataDir: string): string {
  const settings = JSON.parse(row.settings) as { path?: string | null };
  return settings.path ?? join(dataDir, 'zones', row.id);
}

/** Builds the zone registry. */
export function createZoneRegistry(options: ZoneOptions): ZoneRegistry {
  const db = protectionDb(options.database);
  const cache = new Map<string, Promise<BlobStore>>();

  function build(row: ZoneTable): BlobStore {
    let store: BlobStore;
    if (row.kind === 'filesystem') {
      store = new FsBlobStore(filesystemZoneRoot(row, options.dataDir), { durable: !options.fastFilesystem });
    } else {
      const settings = JSON.parse(row.settings) as S3ZoneSettings;
      if (!row.secret) throw new ValidationError(`zone ${row.name} has no secret access key`);
      store = new S3BlobStore({
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        region: settings.region,
        bucket: settings.bucket,
        ...(settings.prefix ? { prefix: settings.prefix } : {}),
        forcePathStyle: settings.forcePathStyle ?? true,
        accessKeyId: settings.accessKeyId,
        secretAccessKey: openZoneSecret(options.secretKey(), row.secret, row.id),
      });
    }
    return options.wrapStore ? options.wrapStore(row.id, store) : store;
  }

  const registry: ZoneRegistry = {
    async ensureDefaultZone(now) {
      await db
        .insertInto('protection_zones')
        .values({
          id: defaultZoneId,
          bu_id: null,
          name: 'default',
          kind: 'filesystem',
          settings: JSON.stringify({ path: null }),
          secret: null,
          created_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    zoneStore(zoneId) {
      let store = cache.get(zoneId);
      if (!store) {
        store = (async () => {
          const row = await db.selectFrom('protection_zones').selectAll().where('id', '=', zoneId).executeTakeFirst();
          if (!row) throw new NotFoundError(`Zone ${zoneId}`);
          return build(row);
        })();
        store.catch(() => cache.delete(zoneId));
        cache.set(zoneId, store);
      }
      return store;
    },
    async vaultStore(vault) {
      return new PrefixedBlobStore(await registry.zoneStore(vault.zone_id), `vaults/${vault.id}/`);
    },
    sealSecret(secret, zoneId) {
      return sealZoneSecret(options.secretKey(), secret, zoneId);
    },
    forget(zoneId) {
      cache.delete(zoneId);
    },
  };
  return registry;
}
