import { pageQueryProperties } from '../platform/index.ts';
import { MAX_LOGO_BYTES } from './logo.ts';
import { MAX_NAME_LENGTH } from './validation.ts';

// JSON Schemas of tenancy's requests and responses: validation at the edge and the
// OpenAPI document. Bodies are closed (`additionalProperties: false`): unknown fields are refused.

const tags = ['business units'];
const settingsTags = ['settings'];
const brandTags = ['branding'];

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const code = {
  type: ['string', 'null'],
  pattern: '^[A-Za-z0-9_-]{1,32}$',
  description: 'Unique among siblings (case-insensitive).',
} as const;
const name = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  description: 'Trimmed; no control characters.',
} as const;

const problem = {
  type: 'object',
  description: 'RFC 9457 problem details; `reason` names tenancy refusals (e.g. move_cycle, has_children).',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    reason: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;

const errors = { 400: problem, 401: problem, 403: problem, 404: problem } as const;
const changeErrors = { ...errors, 409: problem } as const;

const unit = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    parentId: { type: ['string', 'null'], description: 'null for the root and for the caller’s own top unit.' },
    name: { type: 'string' },
    code: { type: ['string', 'null'] },
    depth: { type: 'integer', description: 'Levels below the caller’s top unit.' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'parentId', 'name', 'code', 'depth', 'createdAt', 'updatedAt'],
} as const;

const listedUnit = {
  ...unit,
  properties: {
    ...unit.properties,
    hasChildren: { type: 'boolean', description: 'Whether the unit has child units.' },
  },
  required: [...unit.required, 'hasChildren'],
} as const;

const subtreeItem = {
  ...listedUnit,
  properties: {
    ...listedUnit.properties,
    relativeDepth: { type: 'integer', description: 'Levels below the listed unit.' },
  },
  required: [...listedUnit.required, 'relativeDepth'],
} as const;

const idParams = { type: 'object', properties: { id }, required: ['id'], additionalProperties: false } as const;

const pageQuery = pageQueryProperties;

const source = {
  type: 'object',
  description: 'Where the value comes from: a unit, the built-in default, or a unit above the caller’s reach.',
  properties: { kind: { type: 'string', enum: ['unit', 'default', 'above_scope'] }, buId: { type: 'string' } },
  required: ['kind'],
} as const;

export const createUnitSchema = {
  tags,
  summary: 'Create a business unit under a parent',
  body: {
    type: 'object',
    properties: { parentId: id, name, code },
    required: ['parentId', 'name'],
    additionalProperties: false,
  },
  response: { 201: unit, ...changeErrors },
} as const;

export const getUnitSchema = {
  tags,
  summary: 'Get a business unit',
  params: idParams,
  response: { 200: unit, ...errors },
} as const;

export const updateUnitSchema = {
  tags,
  summary: 'Rename a business unit or change its code',
  params: idParams,
  body: {
    type: 'object',
    properties: { name, code },
    minProperties: 1,
    additionalProperties: false,
  },
  response: { 200: unit, ...changeErrors },
} as const;

export const deleteUnitSchema = {
  tags,
  summary: 'Delete a business unit without children',
  description: 'Refused while it has children, or while another module still has resources in it.',
  params: idParams,
  response: { 204: { type: 'null' }, ...changeErrors },
} as const;

export const listChildrenSchema = {
  tags,
  summary: 'List the children of a business unit (name order, paged)',
  params: idParams,
  querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
  response: {
    200: {
      type: 'object',
      properties: { items: { type: 'array', items: listedUnit }, nextCursor: { type: ['string', 'null'] } },
      required: ['items', 'nextCursor'],
    },
    ...errors,
  },
} as const;

export const listSubtreeSchema = {
  tags,
  summary: 'List a business unit and everything below it (creation order, paged, filtered)',
  params: idParams,
  querystring: {
    type: 'object',
    properties: {
      ...pageQuery,
      name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Case-insensitive substring.' },
      code: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
      maxDepth: { type: 'integer', minimum: 0, maximum: 64, description: 'Levels below the unit (0: itself only).' },
      includeTotal: { type: 'boolean', default: false },
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        items: { type: 'array', items: subtreeItem },
        nextCursor: { type: ['string', 'null'] },
        total: { type: 'integer' },
      },
      required: ['items', 'nextCursor'],
    },
    ...errors,
  },
} as const;

export const pathSchema = {
  tags,
  summary: 'Path from the caller’s top unit down to this unit',
  params: idParams,
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: unit } }, required: ['items'] },
    ...errors,
  },
} as const;

const moveBody = {
  type: 'object',
  properties: { parentId: id },
  required: ['parentId'],
  additionalProperties: false,
} as const;

export const moveSchema = {
  tags,
  summary: 'Move a business unit with its whole subtree under a new parent',
  description: 'Needs bu.move on the unit, its current parent and the new parent. Atomic and audited.',
  params: idParams,
  body: moveBody,
  response: {
    200: {
      type: 'object',
      properties: { unit, movedUnits: { type: 'integer' } },
      required: ['unit', 'movedUnits'],
    },
    ...changeErrors,
  },
} as const;

const valueChange = {
  type: 'object',
  properties: { value: {}, source },
  required: ['value', 'source'],
} as const;

export const movePreviewSchema = {
  tags,
  summary: 'Show what moving a business unit would change, without moving it',
  params: idParams,
  body: moveBody,
  response: {
    200: {
      type: 'object',
      properties: {
        unitId: { type: 'string' },
        fromParentId: { type: 'string' },
        toParentId: { type: 'string' },
        unitsMoving: { type: 'integer' },
        settings: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: { type: 'string' },
              unitsAffected: { type: 'integer' },
              before: valueChange,
              after: valueChange,
            },
            required: ['key', 'unitsAffected', 'before', 'after'],
          },
        },
        brand: {
          type: 'array',
          items: {
            type: 'object',
            properties: { field: { type: 'string' }, before: valueChange, after: valueChange },
            required: ['field', 'before', 'after'],
          },
        },
        principals: {
          type: ['array', 'null'],
          items: {
            type: 'object',
            properties: {
              kind: { type: 'string', enum: ['user', 'apikey'] },
              id: { type: 'string' },
              name: { type: 'string' },
              scopeBuId: { type: 'string' },
              change: { type: 'string', enum: ['gains', 'loses'] },
            },
            required: ['kind', 'id', 'name', 'scopeBuId', 'change'],
          },
        },
      },
      required: ['unitId', 'fromParentId', 'toParentId', 'unitsMoving', 'settings', 'brand', 'principals'],
    },
    ...changeErrors,
  },
} as const;

const settingKey = {
  type: 'string',
  minLength: 3,
  maxLength: 100,
  pattern: '^[a-z][a-zA-Z0-9]*(\\.[a-z][a-zA-Z0-9]*)+$',
} as const;
const settingParams = {
  type: 'object',
  properties: { id, key: settingKey },
  required: ['id', 'key'],
  additionalProperties: false,
} as const;

const settingView = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    value: { description: 'The effective value (any JSON).' },
    locked: { type: 'boolean' },
    source,
    own: {
      type: ['object', 'null'],
      properties: { value: {}, locked: { type: 'boolean' } },
    },
  },
  required: ['key', 'value', 'locked', 'source', 'own'],
} as const;

export const settingDefinitionsSchema = {
  tags: settingsTags,
  summary: 'List the inherited settings, with their value schemas and defaults',
  response: {
    200: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: { type: 'string' },
              description: { type: 'string' },
              schema: { type: 'object', additionalProperties: true },
              default: {},
            },
            required: ['key', 'description', 'schema', 'default'],
          },
        },
      },
      required: ['items'],
    },
    401: problem,
  },
} as const;

export const readSettingsSchema = {
  tags: settingsTags,
  summary: 'Effective value of every setting at a unit, with its source',
  params: idParams,
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: settingView } }, required: ['items'] },
    ...errors,
  },
} as const;

export const readSettingSchema = {
  tags: settingsTags,
  summary: 'Effective value of one setting at a unit, with its source',
  params: settingParams,
  response: { 200: settingView, ...errors },
} as const;

export const setSettingSchema = {
  tags: settingsTags,
  summary: 'Set a unit’s own value of a setting (inherited by its subtree)',
  description: '`locked: true` stops units below from overriding it; only callers above the unit may lock.',
  params: settingParams,
  body: {
    type: 'object',
    properties: { value: { description: 'Validated against the setting’s schema.' }, locked: { type: 'boolean' } },
    required: ['value'],
    additionalProperties: false,
  },
  response: { 200: settingView, ...changeErrors },
} as const;

export const unsetSettingSchema = {
  tags: settingsTags,
  summary: 'Remove a unit’s own value of a setting, so it inherits again',
  params: settingParams,
  response: { 200: settingView, ...changeErrors },
} as const;

const brandField = {
  type: 'object',
  properties: { value: { type: ['string', 'null'] }, source },
  required: ['value', 'source'],
} as const;
const nullableText = { type: ['string', 'null'], maxLength: 254 } as const;

const brandView = {
  type: 'object',
  properties: {
    buId: { type: 'string' },
    fields: {
      type: 'object',
      properties: {
        displayName: brandField,
        primaryColor: brandField,
        accentColor: brandField,
        emailSenderName: brandField,
        emailSenderAddress: brandField,
      },
      required: ['displayName', 'primaryColor', 'accentColor', 'emailSenderName', 'emailSenderAddress'],
    },
    logo: {
      type: ['object', 'null'],
      properties: {
        contentType: { type: 'string' },
        byteSize: { type: 'integer' },
        sha256: { type: 'string' },
        source,
      },
    },
    own: {
      type: 'object',
      properties: {
        displayName: nullableText,
        primaryColor: nullableText,
        accentColor: nullableText,
        emailSenderName: nullableText,
        emailSenderAddress: nullableText,
        logo: { type: 'boolean' },
        signInHost: { ...nullableText, description: 'The unit’s own sign-in address (not inherited).' },
      },
    },
    signInHostEditable: {
      type: 'boolean',
      description: 'Whether the caller may change the sign-in address (only principals whose reach is a whole tree).',
    },
  },
  required: ['buId', 'fields', 'logo', 'own', 'signInHostEditable'],
} as const;

export const getBrandSchema = {
  tags: brandTags,
  summary: 'Effective brand of a unit (nearest ancestor wins per field), with each field’s source',
  params: idParams,
  response: { 200: brandView, ...errors },
} as const;

export const updateBrandSchema = {
  tags: brandTags,
  summary: 'Override brand fields at a unit (null inherits again)',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      displayName: { type: ['string', 'null'], maxLength: MAX_NAME_LENGTH },
      primaryColor: { type: ['string', 'null'], pattern: '^#[0-9a-fA-F]{6}$' },
      accentColor: { type: ['string', 'null'], pattern: '^#[0-9a-fA-F]{6}$' },
      emailSenderName: { type: ['string', 'null'], maxLength: MAX_NAME_LENGTH },
      emailSenderAddress: nullableText,
      signInHost: {
        type: ['string', 'null'],
        maxLength: 253,
        description:
          'Host name under which the sign-in page shows this unit’s brand (e.g. backup.reseller.example); unique across the installation, not inherited; null removes it.',
      },
    },
    minProperties: 1,
    additionalProperties: false,
  },
  response: { 200: brandView, ...changeErrors },
} as const;

export const getLogoSchema = {
  tags: brandTags,
  summary: 'The effective logo’s bytes (PNG, JPEG or SVG)',
  params: idParams,
  response: { ...errors },
} as const;

export const putLogoSchema = {
  tags: brandTags,
  summary: `Upload a unit's logo as the raw request body (image/png, image/jpeg or image/svg+xml; at most ${MAX_LOGO_BYTES} bytes)`,
  description:
    'The bytes must match the declared type. SVG files with scripts, event handlers, foreignObject or external references are refused.',
  params: idParams,
  consumes: ['image/png', 'image/jpeg', 'image/svg+xml'],
  body: {
    content: Object.fromEntries(
      ['image/png', 'image/jpeg', 'image/svg+xml'].map((type) => [
        type,
        { schema: { description: 'The image file’s bytes.', contentMediaType: type } },
      ]),
    ),
  },
  response: { 200: brandView, ...changeErrors, 413: problem, 415: problem },
} as const;

export const deleteLogoSchema = {
  tags: brandTags,
  summary: 'Remove a unit’s own logo, so it inherits again',
  params: idParams,
  response: { 200: brandView, ...changeErrors },
} as const;

const signInTags = ['sign-in'];
const signInHostQuery = {
  type: 'string',
  maxLength: 300,
  description:
    'The host the sign-in page was reached through (`window.location.host`; a port is ignored). Without it, the request’s Host header.',
} as const;

/** What the sign-in page may show about a brand, to anyone. */
export const signInBrand = {
  type: 'object',
  properties: {
    displayName: { type: 'string' },
    primaryColor: { type: 'string', pattern: '^#[0-9a-f]{6}$' },
    accentColor: { type: 'string', pattern: '^#[0-9a-f]{6}$' },
    logoUrl: { type: ['string', 'null'], description: 'Same-origin URL of the logo (changes with its content).' },
  },
  required: ['displayName', 'primaryColor', 'accentColor', 'logoUrl'],
  additionalProperties: false,
} as const;

export const signInBrandSchema = {
  tags: signInTags,
  summary: 'The brand the sign-in page shows for the address it was reached through (public)',
  description:
    'The effective brand of the business unit whose sign-in address is `host`; for any other host (or none) the installation root’s brand. Never 404: unknown addresses cannot be told apart from the default.',
  querystring: { type: 'object', properties: { host: signInHostQuery }, additionalProperties: false },
  response: { 200: signInBrand, 400: problem },
} as const;

export const signInLogoSchema = {
  tags: signInTags,
  summary: 'The logo of the sign-in brand for a host (public; 404 when that brand has no logo)',
  querystring: {
    type: 'object',
    properties: {
      host: signInHostQuery,
      v: { type: 'string', maxLength: 64, pattern: '^[0-9a-f]*$', description: 'Cache key from logoUrl.' },
    },
    additionalProperties: false,
  },
  response: { 400: problem, 404: problem },
} as const;
