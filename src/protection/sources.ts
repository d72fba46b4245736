import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../identity/index.ts';
import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { S3BlobStore } from '../storage/index.ts';
import { effectiveSetting, getUnit, isInSubtree, renderNamingTemplate } from '../tenancy/index.ts';
import { retireDataSource as retireUsage } from '../usage/index.ts';
import { callerId, type ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import { type HealthState, healthOfSources } from './health.ts';
import { effectivePolicy, type ProtectionPolicy, validateOverride } from './policy.ts';
import type { ProtectionRuntime } from './runtime.ts';
import {
  type DataSourceRow,
  findDataSource,
  findDataSourceByName,
  findVault,
  findZone,
  insertDataSource,
  insertToken,
  insertVault,
  insertZone,
  listDataSources,
  listVaultsOfUnit,
  listZonesFor,
  revokeCredentials,
  updateDataSource,
  type VaultRow,
} from './source-store.ts';
import {
  type DataSourceView,
  type DataSourceWithHealth,
  dataSourceView,
  type VaultView,
  vaultView,
  type ZoneView,
  zoneView,
} from './views.ts';
import { defaultZoneId, type S3ZoneSettings } from './zones.ts';

/** User-facing management of zones, vaults, data sources and enrolment tokens. */

async function requireZoneAt(ctx: ProtectionContext, buId: string, zoneId: string) {
  const db = protectionDb(ctx.database);
  const zone = await findZone(db, zoneId);
  if (!zone || (zone.bu_id !== null && !(await isInSubtree(ctx.database, zone.bu_id, buId)))) {
    throw new NotFoundError(`Zone ${zoneId}`);
  }
  return zone;
}

/** Zones usable at a unit. Requires `datasource.read` there. */
export async function listZones(ctx: ProtectionContext, rt: ProtectionRuntime, buId: string): Promise<ZoneView[]> {
  await ctx.access.require('datasource.read', buId, 'Business unit');
  await rt.zones.ensureDefaultZone(ctx.clock.now());
  return (await listZonesFor(protectionDb(ctx.database), buId)).map(zoneView);
}

/**
 * Adds an S3-compatible zone usable in the unit's subtree after proving the bucket answers
 * (a probe object is written, read and removed). Requires `settings.update`.
 */
export async function createS3Zone(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  buId: string,
  input: { name: string; s3: S3ZoneSettings & { secretAccessKey: string } },
): Promise<ZoneView> {
  await ctx.access.require('settings.update', buId, 'Business unit');
  const { secretAccessKey, ...settings } = input.s3;
  const probe = new S3BlobStore({ ...settings, forcePathStyle: settings.forcePathStyle ?? true, secretAccessKey });
  const probeKey = `coffer-probe-${randomBytes(8).toString('hex')}`;
  try {
    await probe.put(probeKey, Buffer.from('coffer'));
    await probe.get(probeKey);
    await probe.delete(probeKey);
  } catch (error) {
    throw new ValidationError(`the S3 zone does not answer: ${(error as Error).message}`);
  }
  const now = ctx.clock.now();
  const id = newId(now);
  const row = {
    id,
    bu_id: buId,
    name: input.name,
    kind: 's3' as const,
    settings: JSON.stringify(settings),
    secret: rt.zones.sealSecret(secretAccessKey, id),
    created_at: now,
  };
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertZone(trx, row);
      await ctx.audit.record(
        {
          action: 'zone.create',
          buId,
          resourceType: 'zone',
          resourceId: id,
          after: { name: input.name, bucket: settings.bucket },
        },
        trx,
      );
    });
  return zoneView(row);
}

async function newVault(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  buId: string,
  input: { name: string; zoneId?: string; shared: boolean },
): Promise<VaultRow> {
  const zoneId = input.zoneId ?? defaultZoneId;
  if (zoneId === defaultZoneId) await rt.zones.ensureDefaultZone(ctx.clock.now());
  await requireZoneAt(ctx, buId, zoneId);
  const now = ctx.clock.now();
  return {
    id: newId(now),
    bu_id: buId,
    zone_id: zoneId,
    name: input.name,
    shared: input.shared ? 1 : 0,
    repository_id: null,
    pack_size: null,
    created_at: now,
    initialised_at: null,
    recovery_key_id: null,
    recovery_envelope: null,
    maintenance_owner: null,
    maintenance_until: null,
  };
}

/** Creates a vault several data sources of the unit can share. Requires `datasource.create`. */
export async function createSharedVault(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  buId: string,
  input: { name: string; zoneId?: string },
): Promise<VaultView> {
  await ctx.access.require('datasource.create', buId, 'Business unit');
  const vault = await newVault(ctx, rt, buId, { ...input, shared: true });
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertVault(trx, vault);
      await ctx.audit.record(
        {
          action: 'vault.create',
          buId,
          resourceType: 'vault',
          resourceId: vault.id,
          after: { name: vault.name, zone: vault.zone_id },
        },
        trx,
      );
    });
  return vaultView(vault);
}

export async function listUnitVaults(ctx: ProtectionContext, buId: string): Promise<VaultView[]> {
  await ctx.access.require('datasource.read', buId, 'Business unit');
  return (await listVaultsOfUnit(protectionDb(ctx.database), buId)).map(vaultView);
}

/** A vault the caller may read, or NotFoundError. */
export async function requireVault(
  ctx: ProtectionContext,
  vaultId: string,
  privilege = 'datasource.read',
): Promise<VaultRow> {
  const vault = await findVault(protectionDb(ctx.database), vaultId);
  if (!vault) throw new NotFoundError('Vault');
  await ctx.access.require(privilege, vault.bu_id, 'Vault');
  return vault;
}

/** A data source the caller may act on with `privilege`, or NotFoundError. */
export async function requireDataSource(
  ctx: ProtectionContext,
  dataSourceId: string,
  privilege: string,
): Promise<DataSourceRow> {
  const row = await findDataSource(protectionDb(ctx.database), dataSourceId);
  if (!row) throw new NotFoundError('Data source');
  await ctx.access.require(privilege, row.bu_id, 'Data source');
  return row;
}

/** Input of `createDataSource`. */
export interface CreateDataSourceInput {
  readonly buId: string;
  readonly hostname: string;
  readonly os?: string;
  /** Explicit name; by default the unit's inherited naming rule decides. */
  readonly name?: string;
  /** Put it in this shared vault of the unit instead of a vault of its own. */
  readonly vaultId?: string;
  /** Zone of its own vault (default: the installation's default zone). */
  readonly zoneId?: string;
  readonly policy?: Record<string, unknown>;
}

/**
 * Creates a data source in a unit, named by the unit's inherited naming rule
 * (`datasource.namingRule`, e.g. `{bu.code}-{hostname}`) unless a name is given, with a
 * vault of its own or a shared vault of the unit. Requires `datasource.create`.
 */
export async function createDataSource(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  input: CreateDataSourceInput,
): Promise<DataSourceView> {
  await ctx.access.require('datasource.create', input.buId, 'Business unit');
  const db = protectionDb(ctx.database);
  const unit = await getUnit(ctx.database, input.buId);
  if (!unit) throw new NotFoundError('Business unit');
  let name = input.name;
  if (name === undefined) {
    const rule = await effectiveSetting(ctx.database, input.buId, 'datasource.namingRule');
    name = renderNamingTemplate(rule.value, {
      'bu.code': unit.code,
      'bu.name': unit.name,
      hostname: input.hostname,
      os: input.os ?? null,
    });
  }
  if (await findDataSourceByName(db, input.buId, name)) {
    throw new ConflictError(`a data source named ${name} already exists in this unit`, { field: 'name' });
  }
  const override = input.policy ? validateOverride(input.policy) : null;
  let vault: VaultRow;
  let createVault = false;
  if (input.vaultId) {
    const shared = await findVault(db, input.vaultId);
    if (!shared || shared.bu_id !== input.buId) throw new NotFoundError('Vault');
    if (shared.shared !== 1)
      throw new ValidationError('that vault belongs to one data source; only shared vaults take more');
    vault = shared;
  } else {
    vault = await newVault(ctx, rt, input.buId, {
      name,
      shared: false,
      ...(input.zoneId ? { zoneId: input.zoneId } : {}),
    });
    createVault = true;
  }
  const now = ctx.clock.now();
  const row: DataSourceRow = {
    id: newId(now),
    bu_id: input.buId,
    vault_id: vault.id,
    name,
    hostname: input.hostname,
    os: input.os ?? null,
    status: 'pending',
    policy_override: override ? JSON.stringify(override) : null,
    created_at: now,
    enrolled_at: null,
    last_seen_at: null,
    agent_version: null,
    retired_at: null,
  };
  await db.transaction().execute(async (trx) => {
    if (createVault) await insertVault(trx, vault);
    await insertDataSource(trx, row);
    await ctx.audit.record(
      {
        action: 'datasource.create',
        buId: input.buId,
        resourceType: 'data_source',
        resourceId: row.id,
        after: { name, hostname: input.hostname, vault: vault.id },
      },
      trx,
    );
  });
  return dataSourceView(row);
}

/** Data source rows with their health, in a fixed number of queries (src/protection/health.ts). */
async function withHealth(ctx: ProtectionContext, rows: readonly DataSourceRow[]): Promise<DataSourceWithHealth[]> {
  const health = await healthOfSources(protectionDb(ctx.database), rows, ctx.clock.now());
  return rows.map((row) => ({ ...dataSourceView(row), health: health.get(row.id)! }));
}

/** A data source with its health. Requires `datasource.read`. */
export async function getDataSource(ctx: ProtectionContext, id: string): Promise<DataSourceWithHealth> {
  const [source] = await withHealth(ctx, [await requireDataSource(ctx, id, 'datasource.read')]);
  return source!;
}

/**
 * Data sources of a unit (and with `subtree`, of every unit below) with their health;
 * `health` keeps those in that state. Requires `datasource.read`.
 */
export async function listUnitDataSources(
  ctx: ProtectionContext,
  buId: string,
  options: { subtree?: boolean; includeRetired?: boolean; limit?: number; cursor?: string; health?: HealthState },
): Promise<{ items: DataSourceWithHealth[]; nextCursor: string | null }> {
  await ctx.access.require('datasource.read', buId, 'Business unit');
  const limit = options.limit ?? 100;
  const rows = await listDataSources(protectionDb(ctx.database), buId, {
    subtree: options.subtree ?? false,
    includeRetired: options.includeRetired ?? false,
    limit: limit + 1,
    ...(options.cursor ? { after: options.cursor } : {}),
    ...(options.health ? { health: options.health } : {}),
  });
  const items = await withHealth(ctx, rows.slice(0, limit));
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

/** Renames a data source or sets/clears its policy override. Requires `datasource.update`. */
export async function updateDataSourceDetails(
  ctx: ProtectionContext,
  id: string,
  patch: { name?: string; policy?: Record<string, unknown> | null },
): Promise<DataSourceView> {
  const row = await requireDataSource(ctx, id, 'datasource.update');
  const db = protectionDb(ctx.database);
  const changes: Partial<DataSourceRow> = {};
  if (patch.name !== undefined && patch.name !== row.name) {
    if (await findDataSourceByName(db, row.bu_id, patch.name)) {
      throw new ConflictError(`a data source named ${patch.name} already exists in this unit`, {
        field: 'name',
      });
    }
    changes.name = patch.name;
  }
  if (patch.policy !== undefined) {
    changes.policy_override = patch.policy === null ? null : JSON.stringify(validateOverride(patch.policy));
  }
  const updated = { ...row, ...changes };
  await db.transaction().execute(async (trx) => {
    await updateDataSource(trx, id, changes);
    await ctx.audit.record(
      {
        action: 'datasource.update',
        buId: row.bu_id,
        resourceType: 'data_source',
        resourceId: id,
        before: { name: row.name, policy: row.policy_override },
        after: { name: updated.name, policy: updated.policy_override },
      },
      trx,
    );
  });
  return dataSourceView(updated);
}

/**
 * Retires a data source: its agent credentials stop working and it gets no new jobs. Its
 * snapshots stay in the vault (restorable) until retention removes them.
 */
export async function retireDataSource(ctx: ProtectionContext, id: string): Promise<void> {
  const row = await requireDataSource(ctx, id, 'datasource.delete');
  if (row.status === 'retired') return;
  const now = ctx.clock.now();
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateDataSource(trx, id, { status: 'retired', retired_at: now });
      await revokeCredentials(trx, id, now);
      await ctx.audit.record(
        {
          action: 'datasource.delete',
          buId: row.bu_id,
          resourceType: 'data_source',
          resourceId: id,
          before: { name: row.name },
        },
        trx,
      );
    });
  // Its consumption stops counting towards the unit from now on.
  await retireUsage(ctx.database, id, now);
}

/** The effective protection policy of a data source. Requires `datasource.read`. */
export async function getDataSourcePolicy(
  ctx: ProtectionContext,
  id: string,
): Promise<{ policy: ProtectionPolicy; sourceBuId: string | null; overridden: string[] }> {
  const row = await requireDataSource(ctx, id, 'datasource.read');
  return effectivePolicy(ctx.database, row.bu_id, row.policy_override);
}

/** Shape of an enrolment token: `cfe1.` + base64url JSON `{ s, f, u }`. */
export interface EnrolmentTokenContent {
  /** The secret (256 bits, base64url). */
  readonly s: string;
  /** SHA-256 fingerprint of the server certificate the agent pins; null: trust the system CAs. */
  readonly f: string | null;
  /** Server URL the agent should use; null: given on the agent's command line. */
  readonly u: string | null;
}

export const tokenPrefix = 'cfe1.';

/** Encodes a token for the administrator to hand to the machine. */
export function encodeEnrolmentToken(content: EnrolmentTokenContent): string {
  return `${tokenPrefix}${Buffer.from(JSON.stringify(content), 'utf8').toString('base64url')}`;
}

/**
 * Issues a one-time enrolment token for a data source, valid `ttlMinutes` (default one
 * day). Stored hashed; it carries the server certificate's fingerprint so the agent can
 * pin it, and the server address: the one asked for, else the configured public address.
 * Requires `datasource.update`.
 */
export async function issueEnrolmentToken(
  ctx: ProtectionContext,
  rt: ProtectionRuntime,
  dataSourceId: string,
  input: { ttlMinutes?: number; serverUrl?: string },
): Promise<{ token: string; expiresAt: string; fingerprint: string | null; serverUrl: string | null }> {
  const row = await requireDataSource(ctx, dataSourceId, 'datasource.update');
  if (row.status === 'retired') throw new ConflictError('the data source is retired');
  const now = ctx.clock.now();
  const expiresAt = now + (input.ttlMinutes ?? 24 * 60) * 60_000;
  const fingerprint = rt.tlsFingerprint() ?? null;
  const secret = randomBytes(32).toString('base64url');
  // The request's address wins; otherwise the configured public address (COFFER_PUBLIC_URL).
  const serverUrl = input.serverUrl ?? rt.publicUrl;
  const token = encodeEnrolmentToken({ s: secret, f: fingerprint, u: serverUrl });
  const id = newId(now);
  await protectionDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertToken(trx, {
        id,
        data_source_id: dataSourceId,
        token_hash: sha256Hex(secret),
        fingerprint,
        server_url: serverUrl,
        expires_at: expiresAt,
        used_at: null,
        created_at: now,
        created_by: callerId(ctx),
      });
      await ctx.audit.record(
        {
          action: 'datasource.enrolment_token',
          buId: row.bu_id,
          resourceType: 'data_source',
          resourceId: dataSourceId,
          after: { tokenId: id, expiresAt: new Date(expiresAt).toISOString() },
        },
        trx,
      );
    });
  return { token, expiresAt: new Date(expiresAt).toISOString(), fingerprint, serverUrl };
}
