// JSON Schemas of the billing API: validation at the edge and the OpenAPI document. Bodies
// are closed (`additionalProperties: false`). Money is integer minor units (cents) with a
// decimal rendering; quantities are decimal text with up to three decimals.

import { pageQueryProperties } from '../platform/index.ts';
import { settlementRates } from './calendar.ts';
import { metrics, units, valueModes } from './product.ts';
import { contractTimings } from './tables.ts';

const tags = ['billing'];

const problem = {
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
const changeErrors = { ...errors, 409: problem } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const idParams = { type: 'object', properties: { id }, required: ['id'], additionalProperties: false } as const;
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC date YYYY-MM-DD' } as const;
const minor = {
  type: 'integer',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Minor units (e.g. cents)',
} as const;
const pageQuery = pageQueryProperties;

/** A page of `item`s and the cursor of the next page (null on the last page). */
function page<T extends object>(item: T) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
    required: ['items', 'nextCursor'],
  } as const;
}

/** The values the billing code accepts (product.ts, calendar.ts, tables.ts), as the schema lists them. */
const metric = { type: 'string', enum: metrics } as const;
const unit = { type: 'string', enum: units } as const;
const valueMode = { type: 'string', enum: valueModes } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' } as const;
const settlementRate = { type: 'integer', enum: settlementRates } as const;
const timing = { type: 'string', enum: contractTimings } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

const tier = {
  type: 'object',
  properties: { upTo: { type: ['integer', 'null'], minimum: 1 }, unitPrice: minor },
  required: ['upTo', 'unitPrice'],
  additionalProperties: false,
} as const;

const productFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  metric: { ...metric, description: 'Bytes: stored, protected, transferred; counts: clients, snapshots; manual' },
  unit: { ...unit, description: 'GB (10^9 bytes), GiB (2^30 bytes) for byte metrics; unit for counts and manual' },
  unitLabel: { type: 'string', minLength: 1, maxLength: 40 },
  settlement: { type: 'string', enum: ['units', 'packages'] },
  packageSize: { type: 'integer', minimum: 1, description: 'Units per package (per started package)' },
  valueMode: { ...valueMode, description: 'latest, average or peak (gauges); total (transferred, manual)' },
  currency: { ...currency, description: 'ISO 4217; must equal the subscription’s' },
  unitPrice: { ...minor, description: 'Per unit or package; per month for gauges' },
  tierMode: { type: 'string', enum: ['none', 'volume', 'graduated'] },
  tiers: { type: 'array', items: tier, maxItems: 50 },
  minimumCharge: { ...minor, description: 'Per month of the settlement period, prorated' },
} as const;

const productInput = {
  type: 'object',
  properties: productFields,
  required: ['name', 'metric', 'currency'],
  additionalProperties: false,
} as const;

const productPatch = { type: 'object', properties: productFields, additionalProperties: false } as const;

const product = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    subscriptionId: { type: 'string' },
    name: { type: 'string' },
    metric,
    unit,
    unitLabel: { type: 'string' },
    settlement: { type: 'string', enum: ['units', 'packages'] },
    packageSize: { type: 'integer' },
    valueMode,
    currency: { type: 'string' },
    unitPrice: { type: ['integer', 'null'] },
    tierMode: { type: 'string' },
    tiers: {
      type: 'array',
      items: { type: 'object', properties: { upTo: { type: ['integer', 'null'] }, unitPrice: { type: 'integer' } } },
    },
    minimumCharge: { type: 'integer' },
    retiredAt: { type: ['string', 'null'] },
  },
} as const;

const subscription = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ownerBuId: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    currency: { type: 'string' },
    products: { type: 'array', items: product },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const contract = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    subscriptionId: { type: 'string' },
    subscriptionName: { type: 'string' },
    sellerBuId: { type: 'string' },
    customerBuId: { type: 'string' },
    startDate: { type: 'string' },
    endDate: { type: ['string', 'null'], description: 'Exclusive' },
    settlementRate,
    timing,
    reference: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const registration = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    contractId: { type: 'string' },
    productId: { type: 'string' },
    buId: { type: 'string' },
    dataSourceId: { type: ['string', 'null'] },
    date: { type: 'string' },
    quantity: { type: 'string' },
    quantityMilli: { type: 'integer' },
    note: { type: 'string' },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    settledLineId: { type: ['string', 'null'] },
  },
} as const;

const line = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    runId: { type: ['string', 'null'] },
    seq: { type: ['integer', 'null'], description: 'Posting sequence (ERP cursor); null until posted' },
    kind: { type: 'string', enum: ['charge', 'credit', 'debit'] },
    contractId: { type: 'string' },
    subscriptionId: { type: 'string' },
    productId: { type: 'string' },
    sellerBuId: { type: 'string' },
    customerBuId: { type: 'string' },
    periodStart: { type: 'string' },
    periodEnd: { type: 'string', description: 'Exclusive' },
    productName: { type: 'string' },
    metric: { type: 'string' },
    unitLabel: { type: 'string' },
    quantity: { type: 'string' },
    quantityMilli: { type: 'integer' },
    unitPrice: { type: ['integer', 'null'] },
    amount: { type: 'integer', description: 'Minor units; negative for credits' },
    amountDecimal: { type: 'string' },
    currency: { type: 'string' },
    detail: { ...anyObject, description: 'How the line was computed: window, value, rounding, tiers, proration' },
    correctsLineId: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    postedAt: { type: ['string', 'null'] },
  },
} as const;

const run = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sellerBuId: { type: 'string' },
    runDate: { type: 'string' },
    status: { type: 'string', enum: ['running', 'posted'] },
    trigger: { type: 'string' },
    startedAt: { type: 'string' },
    postedAt: { type: ['string', 'null'] },
    lineCount: { type: 'integer' },
    totals: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Minor units per currency' },
  },
} as const;

const runWithLines = { type: 'object', properties: { run, lines: { type: 'array', items: line } } } as const;

const profile = {
  type: 'object',
  properties: { buId: { type: 'string' }, billingDay: { type: 'integer' }, configured: { type: 'boolean' } },
} as const;

const rangeQuery = {
  type: 'object',
  properties: { from: date, to: { ...date, description: 'Exclusive' } },
  required: ['from', 'to'],
  additionalProperties: false,
} as const;

export const getProfileSchema = {
  tags,
  summary: 'A seller’s billing day',
  params: idParams,
  response: { 200: profile, ...errors },
} as const;

export const putProfileSchema = {
  tags,
  summary: 'Set a seller’s billing day (1-31; shorter months use their last day)',
  params: idParams,
  body: {
    type: 'object',
    properties: { billingDay: { type: 'integer', description: '1-31' } },
    required: ['billingDay'],
    additionalProperties: false,
  },
  response: { 200: profile, ...changeErrors },
} as const;

export const listSubscriptionsSchema = {
  tags,
  summary: 'Subscriptions owned by the unit (and, with inherited=true, by units above it in reach), by name, paged',
  params: idParams,
  querystring: {
    type: 'object',
    properties: { inherited: { type: 'boolean', default: false }, ...pageQuery },
    additionalProperties: false,
  },
  response: { 200: page(subscription), ...errors },
} as const;

export const createSubscriptionSchema = {
  tags,
  summary: 'Create a subscription with its products (one currency)',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      description: { type: 'string', maxLength: 2000 },
      currency,
      products: { type: 'array', items: productInput, maxItems: 100 },
    },
    required: ['name', 'currency'],
    additionalProperties: false,
  },
  response: { 201: subscription, ...changeErrors },
} as const;

export const getSubscriptionSchema = {
  tags,
  summary: 'A subscription with its products',
  params: idParams,
  response: { 200: subscription, ...errors },
} as const;

export const updateSubscriptionSchema = {
  tags,
  summary: 'Rename or re-describe a subscription',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      description: { type: 'string', maxLength: 2000 },
    },
    additionalProperties: false,
  },
  response: { 200: subscription, ...changeErrors },
} as const;

export const addProductSchema = {
  tags,
  summary: 'Add a product to a subscription',
  params: idParams,
  body: productInput,
  response: { 201: product, ...changeErrors },
} as const;

export const updateProductSchema = {
  tags,
  summary: 'Change a product’s pricing from the next unbilled period on (metric, unit and currency are fixed)',
  params: idParams,
  body: productPatch,
  response: { 200: product, ...changeErrors },
} as const;

export const retireProductSchema = {
  tags,
  summary: 'Withdraw a product: periods starting after today are no longer billed for it',
  params: idParams,
  response: { 200: product, ...errors },
} as const;

export const listContractsSchema = {
  tags,
  summary: 'Contracts whose customer or seller is the unit or below it, newest first, paged',
  params: idParams,
  querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
  response: { 200: page(contract), ...errors },
} as const;

export const createContractSchema = {
  tags,
  summary: 'Assign a subscription to a unit in the owner’s subtree',
  body: {
    type: 'object',
    properties: {
      subscriptionId: id,
      customerBuId: id,
      startDate: date,
      endDate: { type: ['string', 'null'], pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Exclusive' },
      settlementRate: { ...settlementRate, description: 'Times per year: 12 (monthly), 4, 2 or 1 (yearly)' },
      timing: { ...timing, description: 'arrears (default) or advance' },
      reference: { type: ['string', 'null'], maxLength: 200 },
    },
    required: ['subscriptionId', 'customerBuId', 'startDate', 'settlementRate'],
    additionalProperties: false,
  },
  response: { 201: contract, ...changeErrors },
} as const;

export const getContractSchema = {
  tags,
  summary: 'A contract (seller or customer side)',
  params: idParams,
  response: { 200: contract, ...errors },
} as const;

export const endContractSchema = {
  tags,
  summary: 'Set a contract’s end date (exclusive)',
  params: idParams,
  body: { type: 'object', properties: { endDate: date }, required: ['endDate'], additionalProperties: false },
  response: { 200: contract, ...changeErrors },
} as const;

export const deleteContractSchema = {
  tags,
  summary: 'Delete a contract that never produced a billing line',
  params: idParams,
  response: { 204: { type: 'null' }, ...changeErrors },
} as const;

export const listRegistrationsSchema = {
  tags,
  summary: 'Manual registrations of a contract',
  params: idParams,
  response: { 200: { type: 'array', items: registration }, ...errors },
} as const;

export const createRegistrationSchema = {
  tags,
  summary: 'Record manual consumption (e.g. support hours) under a manual product',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      productId: id,
      buId: id,
      dataSourceId: { type: ['string', 'null'], maxLength: 200 },
      date,
      quantity: {
        type: ['number', 'string'],
        description: 'Positive, at most 3 decimals (e.g. 1.5 or "1.5")',
      },
      note: { type: 'string', minLength: 1, maxLength: 1000 },
    },
    required: ['productId', 'date', 'quantity', 'note'],
    additionalProperties: false,
  },
  response: { 201: registration, ...changeErrors },
} as const;

export const deleteRegistrationSchema = {
  tags,
  summary: 'Remove a registration that was not billed yet',
  params: idParams,
  response: { 204: { type: 'null' }, ...changeErrors },
} as const;

export const listRunsSchema = {
  tags,
  summary: 'A seller’s billing runs, newest run date first, paged',
  params: idParams,
  querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
  response: { 200: page(run), ...errors },
} as const;

export const startRunSchema = {
  tags,
  summary: 'Run and post billing for a seller (idempotent per run date)',
  params: idParams,
  body: {
    type: ['object', 'null'],
    properties: { runDate: { ...date, description: 'Default: the latest billing day up to today' } },
    additionalProperties: false,
  },
  response: { 201: runWithLines, ...changeErrors },
} as const;

export const getRunSchema = {
  tags,
  summary: 'A billing run with its lines',
  params: idParams,
  response: { 200: runWithLines, ...errors },
} as const;

export const exportRunSchema = {
  tags,
  summary: 'Download a run’s lines as CSV or JSON',
  params: idParams,
  querystring: {
    type: 'object',
    properties: { format: { type: 'string', enum: ['csv', 'json'], default: 'csv' } },
    additionalProperties: false,
  },
  response: { ...errors },
} as const;

export const dryRunSchema = {
  tags,
  summary: 'What the next run would produce, with the difference to the last period and the reasons',
  params: idParams,
  querystring: {
    type: 'object',
    properties: { runDate: date },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        sellerBuId: { type: 'string' },
        runDate: { type: 'string' },
        dataUntil: { type: 'string' },
        lines: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              line,
              previous: { type: ['object', 'null'], additionalProperties: true },
              quantityChange: { type: ['string', 'null'] },
              amountChange: { type: ['integer', 'null'] },
              reasons: { type: 'array', items: { type: 'string' } },
            },
          },
        },
        dropped: {
          type: 'array',
          items: { type: 'object', properties: { previous: line, reason: { type: 'string' } } },
        },
        totals: { type: 'object', additionalProperties: { type: 'integer' } },
        previousTotals: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    ...errors,
  },
} as const;

export const customerLinesSchema = {
  tags,
  summary: 'Posted lines billed to the unit or units below it, for periods starting in [from, to)',
  params: idParams,
  querystring: rangeQuery,
  response: { 200: { type: 'array', items: line }, ...errors },
} as const;

export const feedSchema = {
  tags,
  summary: 'ERP feed: posted lines the seller issued after a cursor, in posting order',
  params: idParams,
  querystring: {
    type: 'object',
    properties: {
      after: { type: 'integer', minimum: 0, default: 0, description: 'nextCursor of the previous page' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: { lines: { type: 'array', items: line }, nextCursor: { type: 'integer' } },
    },
    ...errors,
  },
} as const;

export const marginSchema = {
  tags,
  summary: 'Reseller margin: cost (billed to the unit) against sell (billed by it) per month, metric and currency',
  params: idParams,
  querystring: rangeQuery,
  response: {
    200: {
      type: 'object',
      properties: {
        buId: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              month: { type: 'string' },
              product: { type: 'string' },
              currency: { type: 'string' },
              cost: { type: 'integer' },
              sell: { type: 'integer' },
              margin: { type: 'integer' },
            },
          },
        },
      },
    },
    ...errors,
  },
} as const;

export const correctLineSchema = {
  tags,
  summary: 'Correct a posted charge with a credit or debit line (posted immediately)',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['credit', 'debit'] },
      amount: { ...minor, minimum: 1 },
      reason: { type: 'string', minLength: 1, maxLength: 1000 },
    },
    required: ['kind', 'amount', 'reason'],
    additionalProperties: false,
  },
  response: { 201: line, ...changeErrors },
} as const;
