import { formatDay } from '../usage/index.ts';
import { type ProductRow, type SubscriptionRow, specOf } from './catalog-store.ts';
import { formatAmount, scaledText } from './money.ts';
import type { ContractTable, LineTable, RegistrationTable, RunTable } from './tables.ts';

// API shapes of billing resources. Money stays in integer minor units (`amount`) with a
// decimal rendering for people (`amountDecimal`); quantities are decimal text with up to
// three decimals plus `quantityMilli`, the exact integer in thousandths.

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export interface ProductView {
  id: string;
  subscriptionId: string;
  name: string;
  metric: string;
  unit: string;
  unitLabel: string;
  settlement: string;
  packageSize: number;
  valueMode: string;
  currency: string;
  unitPrice: number | null;
  tierMode: string;
  tiers: { upTo: number | null; unitPrice: number }[];
  minimumCharge: number;
  retiredAt: string | null;
}

export function productView(row: ProductRow): ProductView {
  const spec = specOf(row);
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    name: spec.name,
    metric: spec.metric,
    unit: spec.unit,
    unitLabel: spec.unitLabel,
    settlement: spec.settlement,
    packageSize: spec.packageSize,
    valueMode: spec.valueMode,
    currency: spec.currency,
    unitPrice: spec.tierMode === 'none' ? Number(spec.tiers[0]?.unitPrice ?? 0n) : null,
    tierMode: spec.tierMode,
    tiers: spec.tierMode === 'none' ? [] : spec.tiers.map((t) => ({ upTo: t.upTo, unitPrice: Number(t.unitPrice) })),
    minimumCharge: Number(spec.minimumCharge),
    retiredAt: iso(row.retired_at),
  };
}

export interface SubscriptionView {
  id: string;
  ownerBuId: string;
  name: string;
  description: string;
  currency: string;
  products: ProductView[];
  createdAt: string;
  updatedAt: string;
}

export function subscriptionView(row: SubscriptionRow, products: readonly ProductRow[]): SubscriptionView {
  return {
    id: row.id,
    ownerBuId: row.owner_bu_id,
    name: row.name,
    description: row.description,
    currency: row.currency,
    products: products.filter((p) => p.subscription_id === row.id).map(productView),
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
  };
}

export interface ContractView {
  id: string;
  subscriptionId: string;
  subscriptionName: string;
  sellerBuId: string;
  customerBuId: string;
  startDate: string;
  /** Exclusive: the first day no longer covered; null when open-ended. */
  endDate: string | null;
  settlementRate: number;
  timing: string;
  reference: string | null;
  createdAt: string;
  updatedAt: string;
}

export function contractView(row: ContractTable, subscriptionName: string): ContractView {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    subscriptionName,
    sellerBuId: row.seller_bu_id,
    customerBuId: row.customer_bu_id,
    startDate: formatDay(Number(row.start_day)),
    endDate: row.end_day === null ? null : formatDay(Number(row.end_day)),
    settlementRate: Number(row.settlement_rate),
    timing: row.timing,
    reference: row.reference,
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
  };
}

export interface RegistrationView {
  id: string;
  contractId: string;
  productId: string;
  buId: string;
  dataSourceId: string | null;
  date: string;
  quantity: string;
  quantityMilli: number;
  note: string;
  createdBy: string | null;
  createdAt: string;
  settledLineId: string | null;
}

export function registrationView(row: RegistrationTable): RegistrationView {
  return {
    id: row.id,
    contractId: row.contract_id,
    productId: row.product_id,
    buId: row.bu_id,
    dataSourceId: row.data_source_id,
    date: formatDay(Number(row.day)),
    quantity: scaledText(BigInt(row.quantity_milli), 3),
    quantityMilli: Number(row.quantity_milli),
    note: row.note,
    createdBy: row.created_by,
    createdAt: iso(row.created_at) as string,
    settledLineId: row.settled_line_id,
  };
}

export interface LineView {
  id: string;
  runId: string | null;
  /** Posting sequence (the ERP cursor); null while the run is not posted. */
  seq: number | null;
  kind: string;
  contractId: string;
  subscriptionId: string;
  productId: string;
  sellerBuId: string;
  customerBuId: string;
  periodStart: string;
  /** Exclusive. */
  periodEnd: string;
  productName: string;
  metric: string;
  unitLabel: string;
  quantity: string;
  quantityMilli: number;
  unitPrice: number | null;
  amount: number;
  amountDecimal: string;
  currency: string;
  detail: unknown;
  correctsLineId: string | null;
  reason: string | null;
  createdAt: string;
  postedAt: string | null;
}

export function lineView(row: LineTable): LineView {
  return {
    id: row.id,
    runId: row.run_id,
    seq: row.seq === null ? null : Number(row.seq),
    kind: row.kind,
    contractId: row.contract_id,
    subscriptionId: row.subscription_id,
    productId: row.product_id,
    sellerBuId: row.seller_bu_id,
    customerBuId: row.customer_bu_id,
    periodStart: formatDay(Number(row.period_start)),
    periodEnd: formatDay(Number(row.period_end)),
    productName: row.product_name,
    metric: row.metric,
    unitLabel: row.unit_label,
    quantity: scaledText(BigInt(row.quantity_milli), 3),
    quantityMilli: Number(row.quantity_milli),
    unitPrice: row.unit_price === null ? null : Number(row.unit_price),
    amount: Number(row.amount),
    amountDecimal: formatAmount(BigInt(row.amount), row.currency),
    currency: row.currency,
    detail: JSON.parse(row.detail),
    correctsLineId: row.corrects_line_id,
    reason: row.reason,
    createdAt: iso(row.created_at) as string,
    postedAt: iso(row.posted_at),
  };
}

export interface RunView {
  id: string;
  sellerBuId: string;
  runDate: string;
  status: string;
  trigger: string;
  startedAt: string;
  postedAt: string | null;
  lineCount: number;
  /** Per currency: total in minor units. */
  totals: Record<string, number>;
}

export function runView(row: RunTable): RunView {
  const totals = JSON.parse(row.totals) as Record<string, string>;
  return {
    id: row.id,
    sellerBuId: row.seller_bu_id,
    runDate: formatDay(Number(row.run_day)),
    status: row.status,
    trigger: row.trigger,
    startedAt: iso(row.started_at) as string,
    postedAt: iso(row.posted_at),
    lineCount: Number(row.line_count),
    totals: Object.fromEntries(Object.entries(totals).map(([currency, amount]) => [currency, Number(amount)])),
  };
}
