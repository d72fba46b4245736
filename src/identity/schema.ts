/**
 * JSON Schemas shared by identity's routes. Bodies are validated strictly (unknown
 * fields and wrong types refused) by the server's validator; these add the limits.
 */

export const idSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** Names: 1..200 characters without control characters (whitespace-only is refused by the service). */
export const nameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]*$',
} as const;

export const descriptionSchema = {
  type: 'string',
  maxLength: 1000,
  pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$',
} as const;

export const emailSchema = { type: 'string', minLength: 3, maxLength: 254, format: 'email' } as const;
export const passwordSchema = { type: 'string', minLength: 1, maxLength: 256 } as const;
export const tokenSchema = { type: 'string', minLength: 16, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' } as const;
export const totpCodeSchema = { type: 'string', minLength: 6, maxLength: 6, pattern: '^[0-9]{6}$' } as const;
export const recoveryCodeSchema = {
  type: 'string',
  minLength: 16,
  maxLength: 40,
  pattern: '^[A-Za-z0-9 -]+$',
} as const;
export const privilegeNameSchema = {
  type: 'string',
  minLength: 3,
  maxLength: 64,
  pattern: '^[a-z]+\\.[a-z_]+$',
} as const;
const instantSchema = { type: 'string', format: 'date-time' } as const;
const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;

export const pagingQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', maxLength: 200 },
} as const;

export function paramsOf(...names: string[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, idSchema])),
    required: names,
    additionalProperties: false,
  } as const;
}

export function pageOf(item: object) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
    required: ['items', 'nextCursor'],
  } as const;
}

export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    email: { type: 'string' },
    displayName: { type: 'string' },
    roleId: { type: 'string' },
    status: { type: 'string', enum: ['active', 'invited', 'disabled'] },
    mustChangePassword: { type: 'boolean' },
    createdAt: instantSchema,
    updatedAt: instantSchema,
  },
  required: ['id', 'buId', 'email', 'displayName', 'roleId', 'status', 'mustChangePassword', 'createdAt', 'updatedAt'],
} as const;

export const roleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: ['string', 'null'], description: 'Unit the role is defined in; null for built-in roles' },
    name: { type: 'string' },
    description: { type: 'string' },
    privileges: { type: 'array', items: { type: 'string' } },
    builtin: { type: 'boolean' },
    createdAt: instantSchema,
    updatedAt: instantSchema,
  },
  required: ['id', 'buId', 'name', 'description', 'privileges', 'builtin', 'createdAt', 'updatedAt'],
} as const;

export const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    prefix: { type: 'string', description: 'Public part of the key (coffer_<prefix>_…)' },
    name: { type: 'string' },
    userId: { type: 'string' },
    buId: { type: 'string', description: 'Root of the subtree the key reaches' },
    roleId: { type: 'string' },
    allowedCidrs: { type: 'array', items: { type: 'string' } },
    expiresAt: instantSchema,
    revokedAt: nullableInstant,
    lastUsedAt: nullableInstant,
    createdAt: instantSchema,
    status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
  },
  required: [
    'id',
    'prefix',
    'name',
    'userId',
    'buId',
    'roleId',
    'allowedCidrs',
    'expiresAt',
    'revokedAt',
    'lastUsedAt',
    'createdAt',
    'status',
  ],
} as const;

const roleCheckSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    definedInBuId: { type: ['string', 'null'] },
    usable: { type: 'boolean' },
    holdsPrivilege: { type: 'boolean' },
  },
} as const;

export const explanationSchema = {
  type: 'object',
  properties: {
    allowed: { type: 'boolean' },
    privilege: { type: 'string' },
    buId: { type: 'string' },
    subject: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['user', 'apikey'] },
        userId: { type: 'string' },
        apiKeyId: { type: ['string', 'null'] },
        scopeBuId: { type: 'string' },
        active: { type: 'boolean' },
      },
    },
    subtree: {
      type: 'object',
      properties: { inScope: { type: 'boolean' }, path: { type: 'array', items: { type: 'string' } } },
    },
    role: roleCheckSchema,
    ownerRole: { anyOf: [roleCheckSchema, { type: 'null' }] },
    reasons: { type: 'array', items: { type: 'string' } },
  },
  required: ['allowed', 'privilege', 'buId', 'subject', 'subtree', 'role', 'ownerRole', 'reasons'],
} as const;

export const explainQuery = {
  type: 'object',
  properties: { privilege: privilegeNameSchema, buId: idSchema },
  required: ['privilege', 'buId'],
  additionalProperties: false,
} as const;
