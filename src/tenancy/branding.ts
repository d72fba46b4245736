import { createHash } from 'node:crypto';
import { ForbiddenError, NotFoundError } from '../platform/index.ts';
import {
  brandsOnPath,
  deleteLogo,
  installationRootId,
  type LogoInfo,
  logoBytes,
  nearestLogo,
  ownLogo,
  type PathBrandRow,
  saveBrand,
  saveLogo,
  unitWithSignInHost,
} from './brand-store.ts';
import type { TenancyContext } from './context.ts';
import { TreeConflictError } from './errors.ts';
import { checkLogo } from './logo.ts';
import { loadInScope, type ScopedUnit, sourceOf, type ValueSource } from './scope.ts';
import { isConstraintViolation, type TenancyDb, tenancyDb } from './store.ts';
import type { BuBrandTable } from './tables.ts';
import { hostNameOf, normalizeColor, normalizeEmailAddress, normalizeHostName, normalizeName } from './validation.ts';

/** Brand fields, API name → column. */
const brandColumns = {
  displayName: 'display_name',
  primaryColor: 'primary_color',
  accentColor: 'accent_color',
  emailSenderName: 'email_sender_name',
  emailSenderAddress: 'email_sender_address',
} as const satisfies Record<string, keyof BuBrandTable>;

export type BrandField = keyof typeof brandColumns;
export const brandFields = Object.keys(brandColumns) as BrandField[];

/** The product's own brand, used where no unit on the path sets a field. */
export const defaultBrand: Readonly<Record<BrandField, string | null>> = Object.freeze({
  displayName: 'Coffer',
  primaryColor: '#1f4e79',
  accentColor: '#f2a900',
  emailSenderName: 'Coffer',
  emailSenderAddress: null,
});

/**
 * Brand fields to change, and the unit's sign-in address: a host name (unique across the
 * installation, never inherited) under which the sign-in page shows this unit's brand.
 */
export type BrandPatch = Partial<Record<BrandField | 'signInHost', string | null>>;

function normalizeField(field: BrandField, value: string): string {
  switch (field) {
    case 'displayName':
    case 'emailSenderName':
      return normalizeName(value, field);
    case 'primaryColor':
    case 'accentColor':
      return normalizeColor(value, field);
    case 'emailSenderAddress':
      return normalizeEmailAddress(value, field);
  }
}

/** Per field, the nearest row on the path that sets it (rows carry their distance). */
export function resolveBrandFields(
  rows: readonly PathBrandRow[],
): Record<BrandField, { value: string | null; row: PathBrandRow | undefined }> {
  const sorted = [...rows].sort((a, b) => a.distance - b.distance);
  const result = {} as Record<BrandField, { value: string | null; row: PathBrandRow | undefined }>;
  for (const field of brandFields) {
    const row = sorted.find((r) => r[brandColumns[field]] !== null);
    result[field] = { value: row ? row[brandColumns[field]] : defaultBrand[field], row };
  }
  return result;
}

/** The effective brand of a unit, each field with its source. */
export interface BrandView {
  buId: string;
  fields: Record<BrandField, { value: string | null; source: ValueSource }>;
  logo: { contentType: string; byteSize: number; sha256: string; source: ValueSource } | null;
  /** What the unit sets itself (null: inherited), and its own sign-in address (null: none). */
  own: Record<BrandField, string | null> & { logo: boolean; signInHost: string | null };
  /** Whether the caller may set or change the sign-in address (see {@link updateBrand}). */
  signInHostEditable: boolean;
}

function brandView(scoped: ScopedUnit, rows: readonly PathBrandRow[], logo: LogoInfo | undefined): BrandView {
  const resolved = resolveBrandFields(rows);
  const ownRow = rows.find((r) => r.distance === 0);
  const fields = {} as BrandView['fields'];
  const own = { logo: logo?.distance === 0, signInHost: ownRow?.sign_in_host ?? null } as BrandView['own'];
  for (const field of brandFields) {
    const entry = resolved[field];
    fields[field] = { value: entry.value, source: sourceOf(scoped, entry.row) };
    own[field] = ownRow ? ownRow[brandColumns[field]] : null;
  }
  return {
    buId: scoped.unit.id,
    fields,
    logo: logo
      ? {
          contentType: logo.content_type,
          byteSize: Number(logo.byte_size),
          sha256: logo.sha256,
          source: sourceOf(scoped, logo),
        }
      : null,
    own,
    signInHostEditable: mayAssignSignInHost(scoped),
  };
}

/**
 * Sign-in addresses are installation-wide names: whoever sets one decides what everybody
 * reaching the server through that host sees before signing in. Only principals whose
 * reach is a whole tree (scope at a root unit: the operator) may assign them; a reseller
 * could otherwise claim the operator's own console address and dress it in its brand.
 */
function mayAssignSignInHost(scoped: ScopedUnit): boolean {
  return scoped.scope.parent_id === null;
}

async function loadBrandView(
  ctx: TenancyContext,
  scoped: ScopedUnit,
  db = tenancyDb(ctx.database),
): Promise<BrandView> {
  const [rows, logo] = await Promise.all([brandsOnPath(db, scoped.unit.id), nearestLogo(db, scoped.unit.id)]);
  return brandView(scoped, rows, logo);
}

/** The effective brand of the unit (nearest ancestor wins per field). Requires `bu.read`. */
export async function getBrand(ctx: TenancyContext, buId: string): Promise<BrandView> {
  await ctx.access.require('bu.read', buId, 'Business unit');
  return loadBrandView(ctx, await loadInScope(ctx, buId));
}

/**
 * Changes the unit's own brand fields and sign-in address: a string overrides, null
 * inherits again (or removes the address), an absent field stays as it is. Throws
 * ValidationError for a bad value, TreeConflictError (`sign_in_host_taken`) when another
 * unit already uses the address, and ForbiddenError when a caller whose reach is not a
 * whole tree changes an address. Requires `bu.update`.
 */
export async function updateBrand(ctx: TenancyContext, buId: string, patch: BrandPatch): Promise<BrandView> {
  await ctx.access.require('bu.update', buId, 'Business unit');
  const changes: Partial<Record<BrandField, string | null>> = {};
  for (const field of brandFields) {
    const value = patch[field];
    if (value !== undefined) changes[field] = value === null ? null : normalizeField(field, value);
  }
  const hostChange =
    patch.signInHost === undefined
      ? undefined
      : patch.signInHost === null
        ? null
        : normalizeHostName(patch.signInHost, 'signInHost');
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const current = (await brandsOnPath(trx, buId)).find((r) => r.distance === 0);
      const before = {} as Record<BrandField | 'signInHost', string | null>;
      const after = {} as Record<BrandField | 'signInHost', string | null>;
      for (const field of brandFields) {
        before[field] = current ? current[brandColumns[field]] : null;
        after[field] = changes[field] !== undefined ? (changes[field] ?? null) : before[field];
      }
      before.signInHost = current?.sign_in_host ?? null;
      after.signInHost = hostChange !== undefined ? hostChange : before.signInHost;
      if (after.signInHost !== before.signInHost && !mayAssignSignInHost(scoped)) {
        throw new ForbiddenError('sign-in addresses are assigned by the operator of the installation', {
          reason: 'sign_in_host_operator_only',
          field: 'signInHost',
        });
      }
      if (after.signInHost !== null && after.signInHost !== before.signInHost) {
        await refuseTakenHost(trx, after.signInHost, buId);
      }
      if ([...brandFields, 'signInHost' as const].some((f) => before[f] !== after[f])) {
        await saveBrand(trx, {
          bu_id: buId,
          display_name: after.displayName,
          primary_color: after.primaryColor,
          accent_color: after.accentColor,
          email_sender_name: after.emailSenderName,
          email_sender_address: after.emailSenderAddress,
          sign_in_host: after.signInHost,
          updated_at: now,
        }).catch((error: unknown) => {
          if (isConstraintViolation(error, 'unique')) throw hostTaken(after.signInHost ?? '', error);
          throw error;
        });
        await ctx.audit.record(
          { action: 'brand.update', buId, resourceType: 'brand', resourceId: buId, before, after },
          trx,
        );
      }
      return loadBrandView(ctx, scoped, trx);
    });
}

function hostTaken(host: string, cause?: unknown): TreeConflictError {
  return new TreeConflictError(
    'sign_in_host_taken',
    `the sign-in address ${host} is already used by another business unit`,
    { field: 'signInHost' },
    cause,
  );
}

async function refuseTakenHost(trx: TenancyDb, host: string, buId: string): Promise<void> {
  if (await unitWithSignInHost(trx, host, buId)) throw hostTaken(host);
}

/** Stores a new logo for the unit after `checkLogo` accepts it. Requires `bu.update`. */
export async function setLogo(
  ctx: TenancyContext,
  buId: string,
  declaredType: string,
  bytes: Uint8Array,
): Promise<BrandView> {
  await ctx.access.require('bu.update', buId, 'Business unit');
  const contentType = checkLogo(declaredType, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const previous = await ownLogo(trx, buId);
      await saveLogo(trx, {
        bu_id: buId,
        content_type: contentType,
        bytes,
        byte_size: bytes.length,
        sha256,
        updated_at: now,
      });
      await ctx.audit.record(
        {
          action: 'brand.update',
          buId,
          resourceType: 'brand',
          resourceId: buId,
          before: previous ? { logo: { contentType: previous.content_type, sha256: previous.sha256 } } : null,
          after: { logo: { contentType, sha256, byteSize: bytes.length } },
        },
        trx,
      );
      return loadBrandView(ctx, scoped, trx);
    });
}

/** Removes the unit's own logo so it inherits again (a no-op without one). Requires `bu.update`. */
export async function removeLogo(ctx: TenancyContext, buId: string): Promise<BrandView> {
  await ctx.access.require('bu.update', buId, 'Business unit');
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const previous = await ownLogo(trx, buId);
      if (previous && (await deleteLogo(trx, buId))) {
        await ctx.audit.record(
          {
            action: 'brand.update',
            buId,
            resourceType: 'brand',
            resourceId: buId,
            before: { logo: { contentType: previous.content_type, sha256: previous.sha256 } },
            after: null,
          },
          trx,
        );
      }
      return loadBrandView(ctx, scoped, trx);
    });
}

/** The effective logo's bytes; throws NotFoundError when no unit on the path has one. Requires `bu.read`. */
export async function getLogo(
  ctx: TenancyContext,
  buId: string,
): Promise<{ contentType: string; bytes: Uint8Array; sha256: string; updatedAt: number }> {
  await ctx.access.require('bu.read', buId, 'Business unit');
  await loadInScope(ctx, buId);
  const db = tenancyDb(ctx.database);
  const info = await nearestLogo(db, buId);
  const bytes = info ? await logoBytes(db, info.bu_id) : undefined;
  if (!info || !bytes) throw new NotFoundError('Logo');
  return { contentType: info.content_type, bytes, sha256: info.sha256, updatedAt: Number(info.updated_at) };
}

/** What a page needs to show a unit's effective brand: no ids, no e-mail settings, no sources. */
export interface BrandSummary {
  displayName: string;
  primaryColor: string;
  accentColor: string;
  /** The effective logo, if any unit on the path has one. */
  logo: { contentType: string; sha256: string } | null;
}

/** The product's own brand in short (no unit sets anything). */
export const defaultBrandSummary: BrandSummary = Object.freeze({
  displayName: defaultBrand.displayName ?? 'Coffer',
  primaryColor: defaultBrand.primaryColor ?? '#1f4e79',
  accentColor: defaultBrand.accentColor ?? '#f2a900',
  logo: null,
});

/** The effective brand of `buId` in short, without access checks: callers decide who may see it. */
export async function brandSummary(
  database: TenancyContext['database'] | TenancyDb,
  buId: string,
): Promise<BrandSummary> {
  const db = tenancyDb(database);
  const [rows, logo] = await Promise.all([brandsOnPath(db, buId), nearestLogo(db, buId)]);
  const resolved = resolveBrandFields(rows);
  return {
    displayName: resolved.displayName.value ?? defaultBrandSummary.displayName,
    primaryColor: resolved.primaryColor.value ?? defaultBrandSummary.primaryColor,
    accentColor: resolved.accentColor.value ?? defaultBrandSummary.accentColor,
    logo: logo ? { contentType: logo.content_type, sha256: logo.sha256 } : null,
  };
}

/**
 * The unit whose brand the sign-in page shows for a host (a `Host` header value; a port is
 * ignored): the unit with that sign-in address, otherwise the installation's root unit.
 * Unknown and malformed hosts answer the same as no host, so nothing can be enumerated.
 */
export async function signInUnitId(
  database: TenancyContext['database'] | TenancyDb,
  rawHost: string | undefined,
): Promise<string | undefined> {
  const db = tenancyDb(database);
  const host = hostNameOf(rawHost);
  const unitId = host ? await unitWithSignInHost(db, host) : undefined;
  return unitId ?? (await installationRootId(db));
}

/** The effective logo's bytes of `buId`, without access checks; undefined when no unit on its path has one. */
export async function effectiveLogo(
  database: TenancyContext['database'] | TenancyDb,
  buId: string,
): Promise<{ contentType: string; bytes: Uint8Array; sha256: string } | undefined> {
  const db = tenancyDb(database);
  const info = await nearestLogo(db, buId);
  const bytes = info ? await logoBytes(db, info.bu_id) : undefined;
  return info && bytes ? { contentType: info.content_type, bytes, sha256: info.sha256 } : undefined;
}
