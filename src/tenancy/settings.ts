import { Ajv, type ValidateFunction } from 'ajv';
import { NotFoundError, ValidationError } from '../platform/index.ts';

/**
 * Value types of the known settings, for typed reads through `effectiveSetting`. A module
 * that registers a setting adds its type here by declaration merging:
 * `declare module '../tenancy/index.ts' { interface SettingValues { 'x.y': number } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in builtin-settings.ts and other modules.
export interface SettingValues {}

/** What a module declares to add an inherited setting. */
export interface SettingDefinition<T> {
  /** Dotted lower-camel name, e.g. `session.lifetimeMinutes`. */
  readonly key: string;
  readonly description: string;
  /** JSON Schema of the value (draft 7 subset understood by Ajv); shown in the API. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Effective value where no unit on the path sets one. Must satisfy the schema. */
  readonly default: T;
  /** Rules a schema cannot state (e.g. soft ≤ hard); returns the problem, or null. */
  readonly check?: (value: T) => string | null;
}

interface RegisteredSetting {
  readonly definition: SettingDefinition<unknown>;
  readonly validate: ValidateFunction;
}

const keyPattern = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;
const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false });
const registry = new Map<string, RegisteredSetting>();

/**
 * Adds a setting to the one inheritance mechanism. Throws (a programming error) for a bad
 * key, a schema Ajv rejects, a default that fails its own validation, or a second,
 * different definition under a key already taken.
 */
export function registerSettingDefinition<K extends string>(
  definition: SettingDefinition<K extends keyof SettingValues ? SettingValues[K] : unknown> & { key: K },
): void {
  const existing = registry.get(definition.key);
  if (existing) {
    if (existing.definition === definition) return;
    throw new Error(`setting ${definition.key} is already registered`);
  }
  if (!keyPattern.test(definition.key))
    throw new Error(`setting key ${definition.key} is not a dotted lower-camel name`);
  const validate = ajv.compile(definition.schema);
  const entry: RegisteredSetting = { definition: definition as SettingDefinition<unknown>, validate };
  const problem = describeProblem(entry, definition.default);
  if (problem) throw new Error(`default of setting ${definition.key} is invalid: ${problem}`);
  registry.set(definition.key, entry);
}

function describeProblem(entry: RegisteredSetting, value: unknown): string | null {
  if (!entry.validate(value)) {
    return (entry.validate.errors ?? [])
      .map((e) => `${e.instancePath === '' ? 'value' : `value${e.instancePath}`} ${e.message ?? 'is invalid'}`)
      .join('; ');
  }
  return entry.definition.check ? entry.definition.check(value) : null;
}

/** The definition of `key`; throws NotFoundError for a key nobody registered. */
export function settingDefinition(key: string): SettingDefinition<unknown> {
  const entry = registry.get(key);
  if (!entry) throw new NotFoundError(`Setting ${key}`);
  return entry.definition;
}

/** Every registered definition, by key. */
export function listSettingDefinitions(): SettingDefinition<unknown>[] {
  return [...registry.values()].map((e) => e.definition).sort((a, b) => a.key.localeCompare(b.key));
}

/** Returns `value` if it is valid for `key`; throws NotFoundError (unknown key) or ValidationError (saying why). */
export function validateSettingValue(key: string, value: unknown): unknown {
  const entry = registry.get(key);
  if (!entry) throw new NotFoundError(`Setting ${key}`);
  const problem = describeProblem(entry, value);
  if (problem) throw new ValidationError(`invalid value for setting ${key}: ${problem}`, { setting: key });
  return value;
}
