// Public entry of the tenancy module: the business-unit tree, moves, branding and
// inherited settings. Other modules use only what is exported here.
import './builtin-settings.ts';

export {
  type BrandSummary,
  brandSummary,
  defaultBrandSummary,
  effectiveLogo,
} from './branding.ts';
export type { PasswordPolicy, StorageQuota } from './builtin-settings.ts';
export type { TenancyContext } from './context.ts';
export { type DeletionGuard, registerDeletionGuard } from './deletion-guards.ts';
export { type TenancyRefusal, TreeConflictError, TreeRuleError } from './errors.ts';
export type { MoveImpactProvider, ReachChange } from './move-impact.ts';
export { type MoveListener, registerMoveListener, type UnitMoved } from './move-listeners.ts';
export { namingPlaceholders, renderNamingTemplate } from './naming-template.ts';
export { registerTenancyRoutes, sendLogoBytes, type TenancyRouteOptions } from './routes.ts';
export { MAX_DEPTH } from './service.ts';
export {
  listSettingDefinitions,
  registerSettingDefinition,
  type SettingDefinition,
  type SettingValues,
  validateSettingValue,
} from './settings.ts';
export { type EffectiveSetting, effectiveSetting } from './settings-service.ts';
export {
  type BusinessUnitRow,
  findRootUnits,
  findUnit as getUnit,
  insertRootUnit,
  isInSubtree,
  listSubtreeIds,
  reachChangeScopes,
  type TenancyDb,
  tenancyDb,
} from './store.ts';
export type { BuClosureTable, BusinessUnitTable, TenancyTables } from './tables.ts';
