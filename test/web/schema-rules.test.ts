import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDeep, checkFields, checkValue, type JsonSchema } from '../../web/src/forms/schema-rules.ts';

// The generated request schemas the console ships (web/src/api/request-schemas.json).
const requestSchemas = JSON.parse(
  readFileSync(new URL('../../web/src/api/request-schemas.json', import.meta.url), 'utf8'),
) as Record<string, { body?: JsonSchema; query?: JsonSchema }>;

function bodyOf(operation: string): JsonSchema {
  const schema = requestSchemas[operation]?.body;
  if (!schema) throw new Error(`no body schema for ${operation}`);
  return schema;
}

// The server's body validator: Ajv with ajv-formats, no coercion (src/server/validation.ts).
const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);

function serverRejects(schema: JsonSchema, body: Record<string, unknown>): Set<string> {
  const validate = ajv.compile(schema as object);
  validate(body);
  const fields = new Set<string>();
  for (const error of validate.errors ?? []) {
    const path = error.instancePath.split('/').filter(Boolean)[0];
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    const field = path ?? missing;
    if (field) fields.add(field);
  }
  return fields;
}

/** A form's values become a body: empty optional inputs are left out, as the screens send them. */
function bodyFrom(schema: JsonSchema, values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(values)) {
    if (value === '' && !(schema.required ?? []).includes(field)) continue;
    body[field] = value;
  }
  return body;
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/),
  fc.emailAddress(),
  fc.constantFrom('', ' ', 'a@b', 'x\u0007y', '#12ab9F', '#12ab9', 'ok name', 'a'.repeat(201), 'a'.repeat(255)),
);

describe('form checks derived from the OpenAPI request schemas', () => {
  for (const [operation, fields] of [
    ['POST /api/v1/users', ['email', 'displayName', 'roleId', 'password', 'buId']],
    ['POST /api/v1/business-units', ['parentId', 'name', 'code']],
    ['PATCH /api/v1/business-units/{id}/brand', ['displayName', 'primaryColor', 'accentColor', 'emailSenderAddress']],
    ['POST /api/v1/roles', ['buId', 'name', 'description']],
  ] as const) {
    it(`refuses exactly what the server refuses: ${operation}`, () => {
      const schema = bodyOf(operation);
      fc.assert(
        fc.property(fc.tuple(...fields.map(() => text)), (values) => {
          const form = Object.fromEntries(fields.map((field, index) => [field, values[index] ?? '']));
          const body = bodyFrom(schema, form);
          const client = new Set(Object.keys(checkFields(schema, form, fields)));
          const server = new Set(
            [...serverRejects(schema, body)].filter((f) => (fields as readonly string[]).includes(f)),
          );
          expect(client).toEqual(server);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('speaks in words people read', () => {
    const users = bodyOf('POST /api/v1/users');
    expect(
      checkFields(users, { email: 'nope', displayName: '', roleId: 'r' }, ['email', 'displayName', 'roleId']),
    ).toEqual({
      email: 'must be an email address',
      displayName: 'is required',
    });
    const units = bodyOf('POST /api/v1/business-units');
    expect(checkFields(units, { name: 'x'.repeat(201), code: 'a b' }, ['name', 'code'])).toEqual({
      name: 'must be at most 200 characters',
      code: 'contains characters or a form that is not allowed',
    });
  });

  it('checks whole setting values, objects and nullable ones included', () => {
    const policy: JsonSchema = {
      type: 'object',
      properties: { minLength: { type: 'integer', minimum: 8, maximum: 256 }, requireDigit: { type: 'boolean' } },
      required: ['minLength', 'requireDigit'],
    };
    expect(checkDeep(policy, { minLength: 4, requireDigit: true })).toEqual({ minLength: 'must be at least 8' });
    expect(checkDeep(policy, { minLength: 12 })).toEqual({ requireDigit: 'is required' });
    const quota: JsonSchema = { anyOf: [{ type: 'null' }, policy] };
    expect(checkDeep(quota, null)).toEqual({});
    expect(checkDeep(quota, { minLength: 9.5, requireDigit: false })).toEqual({ minLength: 'must be a whole number' });
    expect(checkValue({ type: 'integer', minimum: 5 }, 3, true)).toBe('must be at least 5');
  });
});
