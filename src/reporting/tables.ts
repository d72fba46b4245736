/** Tables owned by the reporting module (migration 0008-reporting). */
export type ReportingTables = {
  status_reports: StatusReportTable;
  report_subscriptions: ReportSubscriptionTable;
  mail_outbox: MailOutboxTable;
  reporting_events: ReportingEventTable;
  alert_incidents: AlertIncidentTable;
  alert_subscriptions: AlertSubscriptionTable;
  maintenance_windows: MaintenanceWindowTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptTable;
  smtp_overrides: SmtpOverrideTable;
};

/** `bu`: a unit's daily status report over its subtree; `server`: the operators' report. */
export type ReportKind = 'bu' | 'server';

export interface StatusReportTable {
  id: string;
  bu_id: string;
  kind: ReportKind;
  /** Local calendar day `YYYY-MM-DD` in `time_zone`. */
  report_date: string;
  time_zone: string;
  generated_at: number;
  /** JSON: counts by outcome and problem flags, for listing without the body. */
  summary: string;
  /** JSON: the full report (see report-model.ts). */
  body: string;
}

export interface ReportSubscriptionTable {
  id: string;
  bu_id: string;
  report_kind: ReportKind;
  /** `user:<id>` or `email:<address>`: one subscription per subscriber and unit. */
  subscriber_key: string;
  user_id: string | null;
  email: string | null;
  enabled: number;
  /** JSON ReportSchedule. */
  schedule: string;
  send_condition: string;
  /** JSON ErrorDefinition; null means the unit's inherited default. */
  error_definition: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'dead';

export interface MailOutboxTable {
  id: string;
  /** What this message is (e.g. `report:<reportId>:<subscriptionId>`); a second enqueue is a no-op. */
  dedup_key: string;
  /** RFC 5322 Message-ID, fixed at enqueue so a resend after a crash carries the same one. */
  message_id: string;
  bu_id: string | null;
  category: string;
  recipient: string;
  from_address: string;
  from_name: string;
  subject: string;
  text_body: string;
  html_body: string;
  /** JSON array of inline attachments (the brand logo). */
  attachments: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export interface ReportingEventTable {
  id: string;
  /** The producer's own id for the event; a repeated emit with the same key is ignored. */
  source_key: string | null;
  type: string;
  bu_id: string;
  subject_id: string;
  subject_name: string;
  occurred_at: number;
  /** JSON object. */
  details: string;
  created_at: number;
  processed_at: number | null;
}

export type IncidentStatus = 'open' | 'resolved';

export interface AlertIncidentTable {
  id: string;
  bu_id: string;
  kind: string;
  subject_id: string;
  subject_name: string;
  /** `<kind>:<subject>` while open, null once resolved: at most one open incident per subject and kind. */
  open_key: string | null;
  status: IncidentStatus;
  opening_event_id: string;
  last_event_type: string;
  event_count: number;
  /** 1 once an alert went out for it (0 while silenced by a maintenance window). */
  notified: number;
  opened_at: number;
  last_event_at: number;
  resolved_at: number | null;
}

export interface AlertSubscriptionTable {
  id: string;
  bu_id: string;
  subscriber_key: string;
  user_id: string | null;
  email: string | null;
  /** JSON array of event types. */
  event_types: string;
  enabled: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface MaintenanceWindowTable {
  id: string;
  bu_id: string;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string | null;
  created_at: number;
}

export type WebhookStatus = 'active' | 'disabled';

export interface WebhookTable {
  id: string;
  bu_id: string;
  url: string;
  description: string;
  /** JSON array of event types. */
  event_types: string;
  /** The signing secret, sealed by the server's secret box. */
  secret_sealed: string;
  status: WebhookStatus;
  consecutive_failures: number;
  disabled_at: number | null;
  disabled_reason: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'dead';

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  /** `<webhook>:<event>` for first deliveries; null for manual redeliveries. */
  dedup_key: string | null;
  event_id: string;
  event_type: string;
  /** The exact JSON body sent (and signed). */
  payload: string;
  redelivery_of: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface WebhookDeliveryAttemptTable {
  id: string;
  delivery_id: string;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

export type SmtpSecurity = 'tls' | 'starttls' | 'none';

export interface SmtpOverrideTable {
  bu_id: string;
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  /** Sealed by the server's secret box; never returned by the API. */
  password_sealed: string | null;
  updated_by: string | null;
  updated_at: number;
}
