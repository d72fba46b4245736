import { createHash } from 'node:crypto';
import { NotFoundError } from '../platform/index.ts';
import {
  brandsOnPath,
  deleteLogo,
  type LogoInfo,
  logoBytes,
  nearestLogo,
  ownLogo,
  type PathBrandRow,
  saveBrand,
  saveLogo,
} from './brand-store.ts';
import type { TenancyContext } from './context.ts';
import { checkLogo } from './logo.ts';
import { loadInScope, type ScopedUnit, sourceOf, type ValueSource } from './scope.ts';
import { tenancyDb } from './store.ts';
import type { BuBrandTable } from './tables.ts';
import { normalizeColor, normalizeEmailAddress, normalizeName } from './validation.ts';

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

export type BrandPatch = Partial<Record<BrandField, string | null>>;

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
  /** What the unit sets itself (null: inherited). */
  own: Record<BrandField, string | null> & { logo: boolean };
}

function brandView(scoped: ScopedUnit, rows: readonly PathBrandRow[], logo: LogoInfo | undefined): BrandView {
  const resolved = resolveBrandFields(rows);
  const ownRow = rows.find((r) => r.distance === 0);
  const fields = {} as BrandView['fields'];
  const own = { logo: logo?.distance === 0 } as BrandView['own'];
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
  };
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
 * Changes the unit's own brand fields: a string overrides, null inherits again, an absent
 * field stays as it is. Throws ValidationError for a bad value. Requires `bu.update`.
 */
export async function updateBrand(ctx: TenancyContext, buId: string, patch: BrandPatch): Promise<BrandView> {
  await ctx.access.require('bu.update', buId, 'Business unit');
  const changes: Partial<Record<BrandField, string | null>> = {};
  for (const field of brandFields) {
    const value = patch[field];
    if (value !== undefined) changes[field] = value === null ? null : normalizeField(field, value);
  }
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const current = (await brandsOnPath(trx, buId)).find((r) => r.distance === 0);
      const before = {} as Record<BrandField, string | null>;
      const after = {} as Record<BrandField, string | null>;
      for (const field of brandFields) {
        before[field] = current ? current[brandColumns[field]] : null;
        after[field] = changes[field] !== undefined ? (changes[field] ?? null) : before[field];
      }
      if (brandFields.some((f) => before[f] !== after[f])) {
        await saveBrand(trx, {
          bu_id: buId,
          display_name: after.displayName,
          primary_color: after.primaryColor,
          accent_color: after.accentColor,
          email_sender_name: after.emailSenderName,
          email_sender_address: after.emailSenderAddress,
          updated_at: now,
        });
        await ctx.audit.record(
          { action: 'brand.update', buId, resourceType: 'brand', resourceId: buId, before, after },
          trx,
        );
      }
      return loadBrandView(ctx, scoped, trx);
    });
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
