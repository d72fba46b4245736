// Names for the generated API types the screens use. Everything here is derived from
// schema.d.ts, so a changed API shows up as a type error in the console.

import type { JsonSchema } from '../forms/schema-rules.ts';
import requestSchemas from './request-schemas.json';
import type { paths } from './schema.d.ts';

type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body of a 200/201 answer of `METHOD path`. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: infer Ok }
    ? JsonOf<Ok>
    : R extends { 201: infer Created }
      ? JsonOf<Created>
      : never
  : never;

/** The JSON request body of `METHOD path`. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: infer B;
}
  ? JsonOf<NonNullable<B>>
  : never;

/** The query parameters of `METHOD path`. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Me = ResponseOf<'/api/v1/me', 'get'>;
export type Unit = ResponseOf<'/api/v1/business-units/{id}', 'get'>;
export type SubtreeUnit = ResponseOf<'/api/v1/business-units/{id}/subtree', 'get'>['items'][number];
export type MovePreview = ResponseOf<'/api/v1/business-units/{id}/move-preview', 'post'>;
export type EffectiveBrand = ResponseOf<'/api/v1/business-units/{id}/brand', 'get'>;
export type EffectiveSetting = ResponseOf<'/api/v1/business-units/{id}/settings', 'get'>['items'][number];
export type SettingDefinition = ResponseOf<'/api/v1/settings/definitions', 'get'>['items'][number];
export type ValueSource = EffectiveSetting['source'];
export type User = ResponseOf<'/api/v1/users/{userId}', 'get'>;
export type Role = ResponseOf<'/api/v1/roles/{roleId}', 'get'>;
export type ApiKey = ResponseOf<'/api/v1/api-keys/{apiKeyId}', 'get'>;
export type AuditEntry = ResponseOf<'/api/v1/audit', 'get'>['items'][number];
export type SignInAnswer = ResponseOf<'/api/v1/auth/sign-in', 'post'>;
export type SessionAnswer = ResponseOf<'/api/v1/auth/mfa', 'post'>;

/** `METHOD /path` of an operation that has a JSON body or query parameters. */
export type OperationKey = keyof typeof requestSchemas;

/** The request body schema of an operation, as the OpenAPI document states it. */
export function bodySchema(operation: OperationKey): JsonSchema {
  const entry = requestSchemas[operation] as { body?: JsonSchema };
  if (!entry.body) throw new Error(`${operation} has no JSON body in the OpenAPI document`);
  return entry.body;
}

/** The query parameters of an operation as one object schema. */
export function querySchema(operation: OperationKey): JsonSchema {
  const entry = requestSchemas[operation] as { query?: JsonSchema };
  if (!entry.query) throw new Error(`${operation} has no query parameters in the OpenAPI document`);
  return entry.query;
}

export type DataSource = ResponseOf<'/api/v1/data-sources/{id}', 'get'>;
export type Job = ResponseOf<'/api/v1/jobs/{id}', 'get'>;
export type Snapshot = ResponseOf<'/api/v1/data-sources/{id}/snapshots', 'get'>['items'][number];
export type EnrolmentToken = ResponseOf<'/api/v1/data-sources/{id}/enrolment-tokens', 'post'>;
export type UsageFigures = ResponseOf<'/api/v1/business-units/{id}/usage', 'get'>['figures'];
export type UsageDay = ResponseOf<'/api/v1/business-units/{id}/usage/history', 'get'>['days'][number];
export type Quota = ResponseOf<'/api/v1/business-units/{id}/quota', 'get'>;
export type BillingSubscription = ResponseOf<'/api/v1/billing/subscriptions/{id}', 'get'>;
export type BillingContract = ResponseOf<'/api/v1/billing/contracts/{id}', 'get'>;
export type BillingRun = ResponseOf<'/api/v1/billing/runs/{id}', 'get'>;
export type BillingLine = NonNullable<BillingRun['lines']>[number];
export type DryRun = ResponseOf<'/api/v1/business-units/{id}/billing/dry-run', 'get'>;
export type ReportSummary = NonNullable<ResponseOf<'/api/v1/business-units/{id}/reports', 'get'>['items']>[number];
export type ReportSubscription = ResponseOf<'/api/v1/report-subscriptions/{id}', 'get'>;
