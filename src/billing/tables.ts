import type { UsageTables } from '../usage/index.ts';

/** Tables owned by the billing module (migration 0006), plus the tree and usage tables it reads. */
export type BillingTables = UsageTables & {
  billing_profiles: BillingProfileTable;
  billing_subscriptions: SubscriptionTable;
  billing_products: ProductTable;
  billing_contracts: ContractTable;
  billing_registrations: RegistrationTable;
  billing_runs: RunTable;
  billing_lines: LineTable;
  billing_counters: { name: string; value: number };
  billing_events: BillingEventTable;
};

/** A seller's billing day (1-31); sellers without a profile bill on the 1st. */
export interface BillingProfileTable {
  bu_id: string;
  billing_day: number;
  created_at: number;
  updated_at: number;
}

export interface SubscriptionTable {
  id: string;
  owner_bu_id: string;
  name: string;
  description: string;
  /** Every product of the subscription is priced in this currency. */
  currency: string;
  created_at: number;
  updated_at: number;
}

export interface ProductTable {
  id: string;
  subscription_id: string;
  name: string;
  metric: string;
  unit: string;
  unit_label: string;
  settlement: string;
  package_size: number;
  value_mode: string;
  currency: string;
  tier_mode: string;
  /** JSON: [{ upTo: number | null, unitPrice: number }] — one open tier for a flat price. */
  tiers: string;
  minimum_charge: number;
  created_at: number;
  updated_at: number;
  /** Set when the product was withdrawn: not billed for periods starting after it. */
  retired_at: number | null;
}

export const contractTimings = ['arrears', 'advance'] as const;
export type ContractTiming = (typeof contractTimings)[number];

export interface ContractTable {
  id: string;
  subscription_id: string;
  /** The subscription's owner, who bills this contract. */
  seller_bu_id: string;
  /** The unit billed; metrics are measured over its whole subtree. */
  customer_bu_id: string;
  /** Epoch days: start included, end excluded (null: open-ended). */
  start_day: number;
  end_day: number | null;
  settlement_rate: number;
  timing: ContractTiming;
  reference: string | null;
  created_at: number;
  updated_at: number;
}

export interface RegistrationTable {
  id: string;
  contract_id: string;
  product_id: string;
  bu_id: string;
  data_source_id: string | null;
  day: number;
  quantity_milli: number;
  note: string;
  created_by: string | null;
  created_at: number;
  /** The line that billed it; null until settled. */
  settled_line_id: string | null;
}

export type RunStatus = 'running' | 'posted';

export interface RunTable {
  id: string;
  seller_bu_id: string;
  run_day: number;
  status: RunStatus;
  trigger: string;
  started_at: number;
  posted_at: number | null;
  line_count: number;
  /** JSON: { [currency]: amount in minor units as text }. */
  totals: string;
}

export type LineKind = 'charge' | 'credit' | 'debit';

/** A billing line. Never updated once posted (only `seq` and `posted_at` are set at posting). */
export interface LineTable {
  id: string;
  run_id: string | null;
  /** Posting order across the installation; the ERP cursor. Null until posted. */
  seq: number | null;
  kind: LineKind;
  /** `contract:product:periodStart` for charges (unique: a period is charged once); null for corrections. */
  charge_key: string | null;
  contract_id: string;
  subscription_id: string;
  product_id: string;
  seller_bu_id: string;
  customer_bu_id: string;
  period_start: number;
  period_end: number;
  product_name: string;
  metric: string;
  unit_label: string;
  quantity_milli: number;
  /** Minor units per unit (or package) when one price applies; null for graduated tiers. */
  unit_price: number | null;
  /** Minor units; negative for credits. */
  amount: number;
  currency: string;
  /** JSON: how the line was computed (see LineDetail). */
  detail: string;
  corrects_line_id: string | null;
  reason: string | null;
  created_by: string | null;
  created_at: number;
  posted_at: number | null;
}

export interface BillingEventTable {
  id: string;
  kind: string;
  bu_id: string | null;
  payload: string;
  created_at: number;
  delivered_at: number | null;
}
