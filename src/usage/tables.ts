import type { BuClosureTable, BusinessUnitTable } from '../tenancy/index.ts';

/**
 * Tables owned by the usage module (migration 0005), plus the tenancy tree it joins
 * against for subtree roll-ups (read only).
 */
export type UsageTables = {
  usage_samples: UsageSampleTable;
  usage_latest: UsageLatestTable;
  usage_bu_daily: UsageFiguresRow & { bu_id: string; day: number };
  usage_bu_current: UsageFiguresRow & { bu_id: string };
  usage_subtree_daily: UsageFiguresRow & { bu_id: string; day: number };
  usage_days: UsageDayTable;
  usage_zone_measurements: UsageZoneMeasurementTable;
  usage_quota_states: UsageQuotaStateTable;
  usage_events: UsageEventTable;
  business_units: BusinessUnitTable;
  bu_closure: BuClosureTable;
};

/** One data source's measurement for one UTC day (the last write of the day wins). */
export interface UsageSampleTable {
  data_source_id: string;
  /** Epoch day (UTC). */
  day: number;
  /** The unit the data source belonged to on that day; null when it was assigned to none. */
  bu_id: string | null;
  protected_bytes: number;
  stored_bytes: number;
  /** Bytes that crossed the wire during that day. */
  transferred_bytes: number;
  snapshot_count: number;
  /** 1 when the data source counted as an active client on that day. */
  client_active: number;
  /** 1 when the row was copied forward from an earlier day because nothing was reported. */
  carried: number;
  /** Epoch ms of the measurement the figures come from. */
  as_of: number;
  recorded_at: number;
}

/** The newest sample of each data source (what "now" means). */
export interface UsageLatestTable {
  data_source_id: string;
  bu_id: string | null;
  day: number;
  protected_bytes: number;
  stored_bytes: number;
  transferred_bytes: number;
  snapshot_count: number;
  client_active: number;
  as_of: number;
  /** Set when the data source was removed: it stops counting and is no longer carried forward. */
  retired_at: number | null;
}

/** Summed figures of a set of samples, kept per unit (own data sources) or per subtree. */
export interface UsageFiguresRow {
  protected_bytes: number;
  stored_bytes: number;
  transferred_bytes: number;
  snapshot_count: number;
  client_count: number;
  data_source_count: number;
  as_of: number;
}

/**
 * Bookkeeping per day: `version` grows with every write for the day; the subtree
 * aggregates of the day are trusted only when `finalized_version` equals it.
 */
export interface UsageDayTable {
  day: number;
  version: number;
  finalized_version: number | null;
  finalized_at: number | null;
  carried_at: number | null;
}

/** Bytes a storage zone reports holding, for reconciliation against what the samples account for. */
export interface UsageZoneMeasurementTable {
  zone: string;
  day: number;
  measured_bytes: number;
  as_of: number;
}

export type QuotaStateName = 'ok' | 'soft_exceeded' | 'hard_exceeded';

/** The last evaluated quota state of a unit, so changes can be recognised. */
export interface UsageQuotaStateTable {
  bu_id: string;
  state: QuotaStateName;
  used_bytes: number;
  soft_bytes: number | null;
  hard_bytes: number | null;
  evaluated_at: number;
}

/** Outbox of usage events (quota state changes) for the reporting module to deliver. */
export interface UsageEventTable {
  id: string;
  kind: string;
  bu_id: string | null;
  /** JSON text. */
  payload: string;
  created_at: number;
  delivered_at: number | null;
}
