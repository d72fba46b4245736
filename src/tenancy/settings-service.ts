import './builtin-settings.ts';
import { type Database, ForbiddenError } from '../platform/index.ts';
import { callerId, type TenancyContext } from './context.ts';
import { TreeConflictError } from './errors.ts';
import { loadInScope, type ScopedUnit, sourceOf, type ValueSource } from './scope.ts';
import { listSettingDefinitions, type SettingValues, settingDefinition, validateSettingValue } from './settings.ts';
import { deleteSetting, type PathSettingRow, settingsOnPath, upsertSetting } from './settings-store.ts';
import { type TenancyDb, tenancyDb } from './store.ts';

type ValueOf<K extends string> = K extends keyof SettingValues ? SettingValues[K] : unknown;

/** A setting's effective value at a unit and where it comes from. */
export interface EffectiveSetting<T> {
  readonly key: string;
  readonly value: T;
  /** The unit whose value applies; null when no unit on the path sets one (the default applies). */
  readonly sourceBuId: string | null;
  /** True when the value was locked by the source unit, so units below cannot override it. */
  readonly locked: boolean;
}

/**
 * Which of the rows on a path applies: the topmost locked row if any (a lock binds everything
 * below it), else the nearest row. Rows carry their distance from the unit asked about.
 */
export function resolveSetting<R extends { locked: number; distance: number }>(rows: readonly R[]): R | undefined {
  let nearest: R | undefined;
  let topLocked: R | undefined;
  for (const row of rows) {
    if (!nearest || row.distance < nearest.distance) nearest = row;
    if (row.locked && (!topLocked || row.distance > topLocked.distance)) topLocked = row;
  }
  return topLocked ?? nearest;
}

/**
 * The effective value of `key` at `buId` for use by other modules (no caller scope: the
 * caller has already decided the unit is in reach). Throws NotFoundError for an unknown key.
 */
export async function effectiveSetting<K extends string>(
  database: Database | TenancyDb,
  buId: string,
  key: K,
): Promise<EffectiveSetting<ValueOf<K>>> {
  const definition = settingDefinition(key);
  const applied = resolveSetting(await settingsOnPath(tenancyDb(database), buId, key));
  return {
    key,
    value: (applied ? JSON.parse(applied.value) : definition.default) as ValueOf<K>,
    sourceBuId: applied?.bu_id ?? null,
    locked: applied ? applied.locked === 1 : false,
  };
}

/** A setting as the API shows it at one unit. */
export interface SettingView {
  key: string;
  value: unknown;
  locked: boolean;
  source: ValueSource;
  /** The unit's own value, when it sets one (it may be overridden by a lock above). */
  own: { value: unknown; locked: boolean } | null;
}

function viewOf(scoped: ScopedUnit, key: string, rows: readonly PathSettingRow[]): SettingView {
  const definition = settingDefinition(key);
  const applied = resolveSetting(rows);
  const own = rows.find((r) => r.distance === 0);
  return {
    key,
    value: applied ? JSON.parse(applied.value) : definition.default,
    locked: applied ? applied.locked === 1 : false,
    source: sourceOf(scoped, applied),
    own: own ? { value: JSON.parse(own.value), locked: own.locked === 1 } : null,
  };
}

/** Every registered setting's effective value at the unit. Requires `settings.read`. */
export async function readSettings(ctx: TenancyContext, buId: string): Promise<SettingView[]> {
  await ctx.access.require('settings.read', buId, 'Business unit');
  const scoped = await loadInScope(ctx, buId);
  const rows = await settingsOnPath(tenancyDb(ctx.database), buId);
  return listSettingDefinitions().map((d) =>
    viewOf(
      scoped,
      d.key,
      rows.filter((r) => r.key === d.key),
    ),
  );
}

/** One setting's effective value at the unit. Requires `settings.read`. */
export async function readSetting(ctx: TenancyContext, buId: string, key: string): Promise<SettingView> {
  await ctx.access.require('settings.read', buId, 'Business unit');
  settingDefinition(key);
  const scoped = await loadInScope(ctx, buId);
  return viewOf(scoped, key, await settingsOnPath(tenancyDb(ctx.database), buId, key));
}

/**
 * Locks are impositions from above: only a caller whose reach starts above the unit (or the
 * installation's top administrators, at the root) may set, change or remove a locked value.
 */
function mayManageLocks(scoped: ScopedUnit): boolean {
  return scoped.levelsBelowScope > 0 || scoped.unit.parent_id === null;
}

function refuseLockChange(key: string): never {
  throw new ForbiddenError(`only an administrator above this unit may lock or change the locked setting ${key}`, {
    setting: key,
  });
}

function lockedAbove(scoped: ScopedUnit, key: string, rows: readonly PathSettingRow[]): void {
  const lock = rows.filter((r) => r.distance > 0 && r.locked === 1).sort((a, b) => b.distance - a.distance)[0];
  if (!lock) return;
  const source = sourceOf(scoped, lock);
  throw new TreeConflictError(
    'setting_locked',
    `setting ${key} is locked by a unit above and cannot be overridden here`,
    {
      setting: key,
      lockedAt: source.kind === 'unit' ? source.buId : null,
    },
  );
}

/**
 * Sets the unit's own value (validated against the definition). Refused if a unit above
 * locked the key, or if the caller may not manage locks here. Requires `settings.update`.
 */
export async function setSetting(
  ctx: TenancyContext,
  buId: string,
  key: string,
  input: { value: unknown; locked?: boolean },
): Promise<SettingView> {
  await ctx.access.require('settings.update', buId, 'Business unit');
  const value = validateSettingValue(key, input.value);
  const locked = input.locked === true;
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const rows = await settingsOnPath(trx, buId, key);
      lockedAbove(scoped, key, rows);
      const own = rows.find((r) => r.distance === 0);
      if ((locked || own?.locked === 1) && !mayManageLocks(scoped)) refuseLockChange(key);
      const text = JSON.stringify(value);
      await upsertSetting(trx, {
        bu_id: buId,
        key,
        value: text,
        locked: locked ? 1 : 0,
        updated_at: now,
        updated_by: callerId(ctx),
      });
      await ctx.audit.record(
        {
          action: 'settings.set',
          buId,
          resourceType: 'setting',
          resourceId: key,
          before: own ? { value: JSON.parse(own.value), locked: own.locked === 1 } : null,
          after: { value, locked },
        },
        trx,
      );
      return viewOf(scoped, key, await settingsOnPath(trx, buId, key));
    });
}

/** Removes the unit's own value so it inherits again (a no-op if it has none). Requires `settings.update`. */
export async function unsetSetting(ctx: TenancyContext, buId: string, key: string): Promise<SettingView> {
  await ctx.access.require('settings.update', buId, 'Business unit');
  settingDefinition(key);
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const scoped = await loadInScope(ctx, buId, 'Business unit', trx);
      const rows = await settingsOnPath(trx, buId, key);
      const own = rows.find((r) => r.distance === 0);
      if (!own) return viewOf(scoped, key, rows);
      if (own.locked === 1 && !mayManageLocks(scoped)) refuseLockChange(key);
      await deleteSetting(trx, buId, key);
      await ctx.audit.record(
        {
          action: 'settings.unset',
          buId,
          resourceType: 'setting',
          resourceId: key,
          before: { value: JSON.parse(own.value), locked: own.locked === 1 },
          after: null,
        },
        trx,
      );
      return viewOf(scoped, key, await settingsOnPath(trx, buId, key));
    });
}

/** The effective value of every setting at a unit whose ancestors are `path` (for move previews). */
export function resolveAll(
  rows: readonly PathSettingRow[],
): Map<string, { value: unknown; row: PathSettingRow | undefined }> {
  const result = new Map<string, { value: unknown; row: PathSettingRow | undefined }>();
  for (const definition of listSettingDefinitions()) {
    const row = resolveSetting(rows.filter((r) => r.key === definition.key));
    result.set(definition.key, { value: row ? JSON.parse(row.value) : definition.default, row });
  }
  return result;
}
