// Client-side checks derived from the request schemas of the OpenAPI document (generated
// into api/request-schemas.json), so forms refuse what the server would refuse with the
// same words, before a round trip. The server stays the authority.

/** The part of JSON Schema the API's request bodies use. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  description?: string;
  default?: unknown;
}

// ajv-formats' "email" and "date-time" (full mode), which the server validates with.
const emailPattern =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const dateTimePattern =
  /^\d{4}-[01]\d-[0-3]\d[t\s](?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)$/i;

const formatChecks: Record<string, (value: string) => boolean> = {
  email: (value) => emailPattern.test(value),
  'date-time': (value) => dateTimePattern.test(value) && !Number.isNaN(Date.parse(value)),
  date: (value) => /^\d{4}-\d{2}-\d{2}$/.test(value),
  uri: (value) => {
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  },
};

const formatNames: Record<string, string> = {
  email: 'an email address',
  'date-time': 'a date and time',
  date: 'a date',
  uri: 'a URL',
};

function types(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

/** True when the schema lets the value be left out (a form's empty input). */
function isEmpty(value: unknown): boolean {
  return value === undefined || value === '';
}

/**
 * The first rule `value` breaks, in the words the console shows under a field, or null.
 * `required`: the property is in its object's `required` list. Empty text counts as absent.
 */
export function checkValue(schema: JsonSchema, value: unknown, required: boolean): string | null {
  const allowed = types(schema);
  if (value === null) {
    if (allowed.includes('null')) return null;
    return required ? 'is required' : null;
  }
  if (isEmpty(value)) return required && !allowed.includes('null') ? 'is required' : null;
  if (schema.enum && !schema.enum.includes(value)) return 'must be one of the offered choices';
  if (typeof value === 'string') {
    if (allowed.length > 0 && !allowed.includes('string')) {
      if (allowed.includes('integer') || allowed.includes('number')) return checkNumber(schema, Number(value), allowed);
      return 'has the wrong type';
    }
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      return schema.minLength === 1 ? 'is required' : `must be at least ${schema.minLength} characters`;
    }
    if (schema.maxLength !== undefined && length > schema.maxLength)
      return `must be at most ${schema.maxLength} characters`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      return 'contains characters or a form that is not allowed';
    }
    const check = schema.format ? formatChecks[schema.format] : undefined;
    if (check && schema.format && !check(value))
      return `must be ${formatNames[schema.format] ?? `a valid ${schema.format}`}`;
    return null;
  }
  if (typeof value === 'number') return checkNumber(schema, value, allowed);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return `needs at least ${schema.minItems} ${schema.minItems === 1 ? 'entry' : 'entries'}`;
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return `takes at most ${schema.maxItems} entries`;
    if (schema.items) {
      for (const item of value) {
        const problem = checkValue(schema.items, item, true);
        if (problem) return `has an entry that ${problem}`;
      }
    }
  }
  return null;
}

function checkNumber(schema: JsonSchema, value: number, allowed: string[]): string | null {
  if (Number.isNaN(value)) return 'must be a number';
  if (allowed.includes('integer') && !Number.isInteger(value)) return 'must be a whole number';
  if (schema.minimum !== undefined && value < schema.minimum) return `must be at least ${schema.minimum}`;
  if (schema.maximum !== undefined && value > schema.maximum) return `must be at most ${schema.maximum}`;
  return null;
}

/**
 * Checks the listed fields of a form against an object schema; nested fields use dots
 * (`subscriber.email`). Returns the messages by field; empty when everything passes.
 */
export function checkFields(
  schema: JsonSchema,
  values: Record<string, unknown>,
  fields: readonly string[],
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const located = locate(schema, values, field);
    if (!located) continue;
    const message = checkValue(located.schema, located.value, located.required);
    if (message) errors[field] = message;
  }
  return errors;
}

function locate(
  schema: JsonSchema,
  values: Record<string, unknown>,
  field: string,
): { schema: JsonSchema; value: unknown; required: boolean } | null {
  let current: JsonSchema | undefined = schema;
  let value: unknown = values;
  let required = true;
  for (const part of field.split('.')) {
    if (!current?.properties?.[part]) return null;
    required = required && (current.required ?? []).includes(part);
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    current = current.properties[part];
  }
  return current ? { schema: current, value, required } : null;
}

/** Whether the schema marks `field` as required (for the asterisk on its label). */
export function isRequiredField(schema: JsonSchema, field: string): boolean {
  const parts = field.split('.');
  let current: JsonSchema | undefined = schema;
  for (const [index, part] of parts.entries()) {
    if (!current?.properties?.[part]) return false;
    if (index === parts.length - 1) return (current.required ?? []).includes(part);
    current = current.properties[part];
  }
  return false;
}

/** `maxLength` of a string field, for the input's own limit. */
export function maxLengthOf(schema: JsonSchema, field: string): number | undefined {
  let current: JsonSchema | undefined = schema;
  for (const part of field.split('.')) current = current?.properties?.[part];
  return current?.maxLength;
}

/**
 * Every rule a whole value breaks (objects and `anyOf` included), by dotted path ('' for
 * the value itself). Used for inherited settings, whose schemas come from the API at run time.
 */
export function checkDeep(schema: JsonSchema, value: unknown, path = ''): Record<string, string> {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const results = branches.map((branch) => checkDeep(branch, value, path));
    const passing = results.find((result) => Object.keys(result).length === 0);
    if (passing) return {};
    // Report the branch that matches the value's kind (e.g. the object branch for an object).
    const kind =
      value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value;
    const index = branches.findIndex((branch) => {
      const allowed = types(branch);
      return allowed.includes(kind) || (kind === 'number' && allowed.includes('integer'));
    });
    return results[index >= 0 ? index : 0] ?? {};
  }
  const allowed = types(schema);
  if (allowed.includes('object') || schema.properties) {
    if (value === null && allowed.includes('null')) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { [path]: 'must be an object' };
    const errors: Record<string, string> = {};
    const record = value as Record<string, unknown>;
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const childPath = path ? `${path}.${name}` : name;
      const required = (schema.required ?? []).includes(name);
      if (record[name] === undefined) {
        if (required) errors[childPath] = 'is required';
        continue;
      }
      Object.assign(errors, checkDeep(property, record[name], childPath));
    }
    return errors;
  }
  if (allowed.length > 0 && !hasKind(allowed, value)) {
    if (allowed.includes('boolean')) return { [path]: 'must be yes or no' };
    if (allowed.includes('integer') || allowed.includes('number')) return { [path]: 'must be a number' };
    return { [path]: 'has the wrong type' };
  }
  const message = checkValue(schema, value, true);
  return message ? { [path]: message } : {};
}

function hasKind(allowed: readonly string[], value: unknown): boolean {
  if (value === null) return allowed.includes('null');
  if (Array.isArray(value)) return allowed.includes('array');
  if (typeof value === 'number') return allowed.includes('number') || allowed.includes('integer');
  return allowed.includes(typeof value);
}
