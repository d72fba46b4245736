// JSON Schemas of the usage API: validation at the edge and the OpenAPI document. Byte
// figures are JSON integers sent exactly (they can exceed 2^53; parse them as big integers).

import { pageQueryProperties } from '../platform/index.ts';

const tags = ['usage'];

export const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;

const errors = { 400: problem, 401: problem, 403: problem, 404: problem } as const;
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC date YYYY-MM-DD' } as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
  additionalProperties: false,
} as const;

const figureProperties = {
  protectedBytes: { type: 'integer', description: 'Source data size' },
  storedBytes: { type: 'integer', description: 'Deduplicated, compressed, encrypted bytes stored' },
  transferredBytes: { type: 'integer', description: 'Bytes transferred during the day (now: the latest day)' },
  snapshotCount: { type: 'integer' },
  clientCount: { type: 'integer', description: 'Active clients' },
  dataSourceCount: { type: 'integer' },
  asOf: { type: ['string', 'null'], format: 'date-time', description: 'Newest measurement included' },
} as const;

const figures = {
  type: 'object',
  properties: figureProperties,
  required: Object.keys(figureProperties),
} as const;

export const unitUsageSchema = {
  tags,
  summary: 'Consumption of a unit’s whole subtree, now or on a past day',
  querystring: {
    type: 'object',
    properties: { date: { ...date, description: 'A past day (UTC); omit for now' } },
    additionalProperties: false,
  },
  params: idParams,
  response: {
    200: {
      type: 'object',
      properties: { buId: { type: 'string' }, date: { type: ['string', 'null'] }, figures },
      required: ['buId', 'date', 'figures'],
    },
    ...errors,
  },
} as const;

export const unitChildrenUsageSchema = {
  tags,
  summary: 'The direct children of a unit, each with the consumption of its whole subtree, largest first',
  description:
    'One page of the children as the tree stands now; each child’s figures are those /usage gives for it (now, or on a past day). Ties are ordered by unit id. Pass nextCursor as cursor with the same sort and date.',
  params: idParams,
  querystring: {
    type: 'object',
    properties: {
      date: { ...date, description: 'A past day (UTC); omit for now' },
      sort: {
        type: 'string',
        enum: ['storedBytes', 'protectedBytes', 'transferredBytes', 'clientCount'],
        default: 'storedBytes',
        description: 'The figure to order by, largest first',
      },
      ...pageQueryProperties,
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        buId: { type: 'string' },
        date: { type: ['string', 'null'] },
        sort: { type: 'string', enum: ['storedBytes', 'protectedBytes', 'transferredBytes', 'clientCount'] },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              buId: { type: 'string' },
              name: { type: 'string' },
              code: { type: ['string', 'null'] },
              figures,
            },
            required: ['buId', 'name', 'code', 'figures'],
          },
        },
        nextCursor: { type: ['string', 'null'] },
      },
      required: ['buId', 'date', 'sort', 'items', 'nextCursor'],
    },
    ...errors,
  },
} as const;

export const unitUsageHistorySchema = {
  tags,
  summary: 'Daily consumption history of a unit’s subtree (at most 3660 days)',
  params: idParams,
  querystring: {
    type: 'object',
    properties: { from: date, to: date },
    required: ['from', 'to'],
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        buId: { type: 'string' },
        days: {
          type: 'array',
          items: {
            type: 'object',
            properties: { date: { type: 'string' }, ...figureProperties },
            required: ['date', ...Object.keys(figureProperties)],
          },
        },
      },
      required: ['buId', 'days'],
    },
    ...errors,
  },
} as const;

export const unitQuotaSchema = {
  tags,
  summary: 'Storage quota state of a unit (stored bytes of its subtree against the inherited quota.storage)',
  params: idParams,
  response: {
    200: {
      type: 'object',
      properties: {
        buId: { type: 'string' },
        state: { type: 'string', enum: ['ok', 'soft_exceeded', 'hard_exceeded'] },
        usedBytes: { type: 'integer' },
        softBytes: { type: ['integer', 'null'] },
        hardBytes: { type: ['integer', 'null'] },
        asOf: { type: ['string', 'null'], format: 'date-time' },
      },
      required: ['buId', 'state', 'usedBytes', 'softBytes', 'hardBytes', 'asOf'],
    },
    ...errors,
  },
} as const;

export const reconciliationSchema = {
  tags,
  summary: 'Operator reconciliation: assigned, unassigned and orphaned consumption and zone totals',
  description: 'Installation operators only: the caller must reach every root unit with bu.read.',
  querystring: {
    type: 'object',
    properties: { date: { ...date, description: 'A past day (UTC); omit for now' } },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        date: { type: ['string', 'null'] },
        assigned: figures,
        unassigned: figures,
        orphaned: figures,
        total: figures,
        unassignedDataSources: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              dataSourceId: { type: 'string' },
              storedBytes: { type: 'integer' },
              protectedBytes: { type: 'integer' },
              asOf: { type: 'string', format: 'date-time' },
            },
          },
        },
        zones: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              zone: { type: 'string' },
              date: { type: 'string' },
              measuredBytes: { type: 'integer' },
              accountedBytes: { type: 'integer' },
              unaccountedBytes: { type: 'integer', description: 'measured − accounted' },
              asOf: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
      required: ['date', 'assigned', 'unassigned', 'orphaned', 'total', 'unassignedDataSources', 'zones'],
    },
    ...errors,
  },
} as const;

export const zoneMeasurementSchema = {
  tags,
  summary: 'Record the bytes a storage zone reports holding (for reconciliation)',
  description: 'Installation operators only: the caller must reach every root unit with settings.update.',
  body: {
    type: 'object',
    properties: {
      zone: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
      measuredBytes: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      asOf: { type: 'string', format: 'date-time', description: 'Default now; its UTC day is the day it counts for' },
    },
    required: ['zone', 'measuredBytes'],
    additionalProperties: false,
  },
  response: {
    201: {
      type: 'object',
      properties: { zone: { type: 'string' }, date: { type: 'string' }, measuredBytes: { type: 'integer' } },
      required: ['zone', 'date', 'measuredBytes'],
    },
    ...errors,
  },
} as const;
