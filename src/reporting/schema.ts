import { alertTypes } from './events.ts';
import { weekdayNames } from './schedule.ts';

// JSON Schemas of reporting's requests and responses: validation at the edge and the OpenAPI
// document. Bodies are closed (`additionalProperties: false`); deeper rules (a schedule that
// selects no day, an unsafe webhook URL, an unknown template field) are checked by the
// services, which answer 400 with the reason.

const tags = ['reports'];
const alertTags = ['alerts'];
const webhookTags = ['webhooks'];
const mailTags = ['e-mail'];

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

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

function params(...names: string[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, id])),
    required: names,
    additionalProperties: false,
  } as const;
}
const buParams = params('id');
const idParams = params('id');

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page.' },
} as const;

const subscriberInput = {
  type: 'object',
  description: 'A user of the installation (who must see the unit and hold report.read) or an external address.',
  properties: { userId: id, email: { type: 'string', maxLength: 254 } },
  additionalProperties: false,
} as const;
const subscriberView = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['user', 'email'] },
    userId: { type: 'string' },
    email: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
  },
  required: ['kind'],
} as const;

const schedule = {
  type: 'object',
  description:
    'daily; weekly on chosen weekdays; or monthly on chosen days (29-31 fall on the last day of shorter months).',
  properties: {
    frequency: { type: 'string', enum: ['daily', 'weekly', 'monthly'] },
    weekdays: { type: 'array', items: { type: 'string', enum: [...weekdayNames] }, maxItems: 7 },
    monthDays: { type: 'array', items: { type: 'integer' }, maxItems: 31 },
  },
  required: ['frequency'],
  additionalProperties: false,
} as const;

const errorDefinition = {
  type: ['object', 'null'],
  description: 'What counts as an error for this subscriber, over the unit default (failed backups always do).',
  properties: {
    warningsAreErrors: { type: 'boolean' },
    missedAreErrors: { type: 'boolean' },
    quotaBreachesAreErrors: { type: 'boolean' },
    maxSnapshotAgeHours: { type: ['integer', 'null'] },
  },
  additionalProperties: false,
} as const;

const sendCondition = {
  type: 'string',
  enum: ['always', 'errors_only', 'always_and_errors'],
  description: 'always: every scheduled day; errors_only: scheduled days with errors; always_and_errors: both.',
} as const;

const subscription = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    reportKind: { type: 'string', enum: ['bu', 'server'] },
    subscriber: subscriberView,
    enabled: { type: 'boolean' },
    schedule: { type: 'object', additionalProperties: true },
    sendCondition: { type: 'string' },
    errorDefinition: { type: ['object', 'null'], additionalProperties: true },
    inheritedFrom: { type: 'string' },
    createdAt: time,
    updatedAt: time,
  },
  required: ['id', 'buId', 'reportKind', 'subscriber', 'enabled', 'schedule', 'sendCondition', 'createdAt'],
} as const;

export const listSubscriptionsSchema = {
  tags,
  summary: "List a unit's report subscriptions (effective=true adds inherited ones)",
  params: buParams,
  querystring: {
    type: 'object',
    properties: {
      effective: { type: 'boolean', default: false },
      reportKind: { type: 'string', enum: ['bu', 'server'] },
    },
    additionalProperties: false,
  },
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: subscription } } }, ...errors },
} as const;

export const createSubscriptionSchema = {
  tags,
  summary: "Subscribe a user or an e-mail address to a unit's reports",
  params: buParams,
  body: {
    type: 'object',
    properties: {
      subscriber: subscriberInput,
      reportKind: { type: 'string', enum: ['bu', 'server'], default: 'bu' },
      enabled: { type: 'boolean' },
      schedule,
      sendCondition,
      errorDefinition,
    },
    required: ['subscriber', 'schedule'],
    additionalProperties: false,
  },
  response: { 201: subscription, ...changeErrors },
} as const;

export const getSubscriptionSchema = {
  tags,
  summary: 'Get a report subscription',
  params: idParams,
  response: { 200: subscription, ...errors },
} as const;

export const updateSubscriptionSchema = {
  tags,
  summary: 'Change a report subscription',
  params: idParams,
  body: {
    type: 'object',
    properties: { enabled: { type: 'boolean' }, schedule, sendCondition, errorDefinition },
    additionalProperties: false,
  },
  response: { 200: subscription, ...errors },
} as const;

export const deleteSubscriptionSchema = {
  tags,
  summary: 'Delete a report subscription',
  params: idParams,
  response: { 204: { type: 'null' }, ...errors },
} as const;

const reportItem = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    kind: { type: 'string', enum: ['bu', 'server'] },
    date,
    timeZone: { type: 'string' },
    generatedAt: time,
    summary: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'buId', 'kind', 'date', 'timeZone', 'generatedAt', 'summary'],
} as const;

export const listReportsSchema = {
  tags,
  summary: "List a unit's stored daily reports, newest first",
  params: buParams,
  querystring: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['bu', 'server'], default: 'bu' },
      limit: pageQuery.limit,
      cursor: { ...date, description: 'nextCursor of the previous page (a date).' },
      from: date,
      to: date,
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: { items: { type: 'array', items: reportItem }, nextCursor: { type: 'string' } },
    },
    ...errors,
  },
} as const;

export const generateReportSchema = {
  tags,
  summary: "Generate today's report of a unit now (if it has none yet)",
  params: buParams,
  body: {
    type: 'object',
    properties: { kind: { type: 'string', enum: ['bu', 'server'], default: 'bu' } },
    additionalProperties: false,
  },
  response: {
    201: {
      ...reportItem,
      properties: { ...reportItem.properties, body: { type: 'object', additionalProperties: true } },
    },
    ...errors,
  },
} as const;

export const getReportSchema = {
  tags,
  summary: 'Get a stored report with its content (times inside `body` are epoch milliseconds)',
  params: idParams,
  response: {
    200: {
      ...reportItem,
      properties: { ...reportItem.properties, body: { type: 'object', additionalProperties: true } },
    },
    ...errors,
  },
} as const;

export const getReportHtmlSchema = {
  tags,
  summary: 'Get a stored report rendered as HTML in its unit’s brand',
  params: idParams,
  produces: ['text/html'],
  response: { 200: { type: 'string' }, ...errors },
} as const;

const alertSubscription = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    subscriber: subscriberView,
    eventTypes: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  },
  required: ['id', 'buId', 'subscriber', 'eventTypes', 'enabled', 'createdAt'],
} as const;

const alertTypeList = {
  type: 'array',
  items: { type: 'string', enum: [...alertTypes] },
  minItems: 1,
  maxItems: 20,
} as const;

export const listAlertSubscriptionsSchema = {
  tags: alertTags,
  summary: "List a unit's e-mail alert subscriptions",
  params: buParams,
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: alertSubscription } } }, ...errors },
} as const;

export const createAlertSubscriptionSchema = {
  tags: alertTags,
  summary: "Subscribe a user or an e-mail address to alerts about a unit's subtree",
  params: buParams,
  body: {
    type: 'object',
    properties: { subscriber: subscriberInput, eventTypes: alertTypeList, enabled: { type: 'boolean' } },
    required: ['subscriber', 'eventTypes'],
    additionalProperties: false,
  },
  response: { 201: alertSubscription, ...changeErrors },
} as const;

export const updateAlertSubscriptionSchema = {
  tags: alertTags,
  summary: 'Change an alert subscription',
  params: idParams,
  body: {
    type: 'object',
    properties: { eventTypes: alertTypeList, enabled: { type: 'boolean' } },
    additionalProperties: false,
  },
  response: { 200: alertSubscription, ...errors },
} as const;

export const deleteAlertSubscriptionSchema = {
  tags: alertTags,
  summary: 'Delete an alert subscription',
  params: idParams,
  response: { 204: { type: 'null' }, ...errors },
} as const;

const maintenanceWindow = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    startsAt: time,
    endsAt: time,
    reason: { type: 'string' },
    createdAt: time,
  },
  required: ['id', 'buId', 'startsAt', 'endsAt', 'reason', 'createdAt'],
} as const;

export const listMaintenanceWindowsSchema = {
  tags: alertTags,
  summary: "List a unit's current and future maintenance windows",
  params: buParams,
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: maintenanceWindow } } }, ...errors },
} as const;

export const createMaintenanceWindowSchema = {
  tags: alertTags,
  summary: "Silence alerts for a unit's subtree for a period (at most 31 days)",
  params: buParams,
  body: {
    type: 'object',
    properties: { startsAt: time, endsAt: time, reason: { type: 'string', maxLength: 500 } },
    required: ['startsAt', 'endsAt'],
    additionalProperties: false,
  },
  response: { 201: maintenanceWindow, ...errors },
} as const;

export const deleteMaintenanceWindowSchema = {
  tags: alertTags,
  summary: 'Delete a maintenance window',
  params: idParams,
  response: { 204: { type: 'null' }, ...errors },
} as const;

const incident = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    type: { type: 'string' },
    subject: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    status: { type: 'string', enum: ['open', 'resolved'] },
    events: { type: 'integer' },
    notified: { type: 'boolean' },
    openedAt: time,
    lastEventAt: time,
    resolvedAt: nullableTime,
  },
  required: ['id', 'buId', 'type', 'subject', 'status', 'openedAt'],
} as const;

export const listIncidentsSchema = {
  tags: alertTags,
  summary: "List alert incidents of a unit's subtree, newest first",
  params: buParams,
  querystring: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['open', 'resolved'] }, ...pageQuery },
    additionalProperties: false,
  },
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: incident }, nextCursor: { type: 'string' } } },
    ...errors,
  },
} as const;

const webhook = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    url: { type: 'string' },
    description: { type: 'string' },
    eventTypes: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['active', 'disabled'] },
    consecutiveFailures: { type: 'integer' },
    disabledAt: nullableTime,
    disabledReason: { type: ['string', 'null'] },
    createdAt: time,
    updatedAt: time,
  },
  required: ['id', 'buId', 'url', 'eventTypes', 'status', 'createdAt'],
} as const;
const webhookWithSecret = {
  ...webhook,
  properties: {
    ...webhook.properties,
    secret: { type: 'string', description: 'The HMAC-SHA256 signing secret, shown only now.' },
  },
  required: [...webhook.required, 'secret'],
} as const;
const webhookUrl = { type: 'string', minLength: 1, maxLength: 2000, description: 'https; public addresses only.' };

export const listWebhooksSchema = {
  tags: webhookTags,
  summary: "List a unit's webhooks",
  params: buParams,
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: webhook } } }, ...errors },
} as const;

export const createWebhookSchema = {
  tags: webhookTags,
  summary: "Create a signed webhook for events of a unit's subtree",
  params: buParams,
  body: {
    type: 'object',
    properties: { url: webhookUrl, eventTypes: alertTypeList, description: { type: 'string', maxLength: 500 } },
    required: ['url', 'eventTypes'],
    additionalProperties: false,
  },
  response: { 201: webhookWithSecret, ...errors },
} as const;

export const getWebhookSchema = {
  tags: webhookTags,
  summary: 'Get a webhook',
  params: idParams,
  response: { 200: webhook, ...errors },
} as const;

export const updateWebhookSchema = {
  tags: webhookTags,
  summary: 'Change a webhook; status active re-enables a disabled one',
  params: idParams,
  body: {
    type: 'object',
    properties: {
      url: webhookUrl,
      eventTypes: alertTypeList,
      description: { type: 'string', maxLength: 500 },
      status: { type: 'string', enum: ['active', 'disabled'] },
    },
    additionalProperties: false,
  },
  response: { 200: webhook, ...errors },
} as const;

export const deleteWebhookSchema = {
  tags: webhookTags,
  summary: 'Delete a webhook and its delivery log',
  params: idParams,
  response: { 204: { type: 'null' }, ...errors },
} as const;

export const rotateWebhookSecretSchema = {
  tags: webhookTags,
  summary: 'Issue a new signing secret (shown once)',
  params: idParams,
  body: { type: 'object', properties: {}, additionalProperties: false },
  response: { 200: webhookWithSecret, ...errors },
} as const;

const delivery = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    webhookId: { type: 'string' },
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'sending', 'succeeded', 'dead'] },
    attempts: { type: 'integer' },
    nextAttemptAt: nullableTime,
    lastStatusCode: { type: ['integer', 'null'] },
    lastError: { type: ['string', 'null'] },
    redeliveryOf: { type: ['string', 'null'] },
    createdAt: time,
    deliveredAt: nullableTime,
    payload: {},
    attemptLog: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: time,
          durationMs: { type: 'integer' },
          statusCode: { type: ['integer', 'null'] },
          error: { type: ['string', 'null'] },
          responseExcerpt: { type: ['string', 'null'] },
        },
      },
    },
  },
  required: ['id', 'webhookId', 'eventId', 'eventType', 'status', 'attempts', 'createdAt'],
} as const;

export const listDeliveriesSchema = {
  tags: webhookTags,
  summary: "A webhook's delivery log, newest first",
  params: idParams,
  querystring: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['pending', 'sending', 'succeeded', 'dead'] }, ...pageQuery },
    additionalProperties: false,
  },
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: delivery }, nextCursor: { type: 'string' } } },
    ...errors,
  },
} as const;

export const getDeliverySchema = {
  tags: webhookTags,
  summary: 'A delivery with its payload and every attempt',
  params: idParams,
  response: { 200: delivery, ...errors },
} as const;

export const redeliverSchema = {
  tags: webhookTags,
  summary: "Send a delivery's payload again (as a new delivery)",
  params: idParams,
  body: { type: 'object', properties: {}, additionalProperties: false },
  response: { 202: delivery, ...errors },
} as const;

const outboxMessage = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: ['string', 'null'] },
    category: { type: 'string' },
    recipient: { type: 'string' },
    subject: { type: 'string' },
    messageId: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead'] },
    attempts: { type: 'integer' },
    nextAttemptAt: nullableTime,
    lastError: { type: ['string', 'null'] },
    createdAt: time,
    sentAt: nullableTime,
  },
  required: ['id', 'category', 'recipient', 'subject', 'status', 'attempts', 'createdAt'],
} as const;

export const listOutboxSchema = {
  tags: mailTags,
  summary: "The e-mail outbox of a unit's subtree (status=dead lists dead letters)",
  params: buParams,
  querystring: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead'] }, ...pageQuery },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: { items: { type: 'array', items: outboxMessage }, nextCursor: { type: 'string' } },
    },
    ...errors,
  },
} as const;

export const retryOutboxSchema = {
  tags: mailTags,
  summary: 'Put a dead e-mail back in the outbox',
  params: idParams,
  body: { type: 'object', properties: {}, additionalProperties: false },
  response: { 200: outboxMessage, ...changeErrors },
} as const;

const smtpView = {
  type: 'object',
  properties: {
    source: { type: 'string', enum: ['unit', 'inherited', 'above_scope', 'installation', 'none'] },
    sourceBuId: { type: ['string', 'null'] },
    host: { type: ['string', 'null'] },
    port: { type: ['integer', 'null'] },
    security: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    passwordSet: { type: 'boolean' },
  },
  required: ['source', 'passwordSet'],
} as const;

export const getSmtpSchema = {
  tags: mailTags,
  summary: 'The SMTP server in force for a unit (never its password)',
  params: buParams,
  response: { 200: smtpView, ...errors },
} as const;

export const setSmtpSchema = {
  tags: mailTags,
  summary: "Set the unit's own SMTP server for its subtree",
  params: buParams,
  body: {
    type: 'object',
    properties: {
      host: { type: 'string', minLength: 1, maxLength: 255 },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      security: { type: 'string', enum: ['tls', 'starttls', 'none'] },
      username: { type: ['string', 'null'], maxLength: 255 },
      password: { type: ['string', 'null'], maxLength: 1000 },
    },
    required: ['host', 'port', 'security'],
    additionalProperties: false,
  },
  response: { 200: smtpView, ...errors },
} as const;

export const clearSmtpSchema = {
  tags: mailTags,
  summary: "Remove the unit's own SMTP server (inherit again)",
  params: buParams,
  response: { 200: smtpView, ...errors },
} as const;
