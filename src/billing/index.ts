// Public entry of the billing module: subscriptions, products, contracts, manual
// registrations, billing runs, dry runs, corrections, exports, margin view and jobs.
import { registerBillingDeletionGuard, registerBillingMoveListener } from './guards.ts';

registerBillingDeletionGuard();
registerBillingMoveListener();

export {
  anchorDay,
  checkBillingDay,
  type DayRange,
  latestRunDay,
  nextRunDay,
  periodContaining,
  type SettlementRate,
} from './calendar.ts';
export {
  addProduct,
  createSubscription,
  getSubscription,
  listSubscriptions,
  retireProduct,
  type SubscriptionInput,
  updateProduct,
  updateSubscription,
} from './catalog.ts';
export type { BillingContext } from './context.ts';
export {
  type ContractInput,
  createContract,
  deleteContract,
  endContract,
  endContractsAfterMove,
  getContract,
  listContracts,
} from './contracts.ts';
export { type CorrectionInput, correctLine } from './corrections.ts';
export { type DryRun, type DryRunDropped, type DryRunLine, dryRun } from './dry-run.ts';
export { type BillingEvent, markBillingEventsDelivered, pendingBillingEvents } from './events.ts';
export { csvColumns, exportRun, type RunExport } from './export.ts';
export {
  billingBackground,
  billingDailyJob,
  billingJobHandlers,
  type DueBillingResult,
  runDueBilling,
} from './jobs.ts';
export { type MarginRow, type MarginView, marginView } from './margin.ts';
export { formatAmount, minorDigits } from './money.ts';
export { type Metric, metrics, type ProductInput, type ValueMode, valueModes } from './product.ts';
export { type BillingProfileView, getBillingProfile, setBillingProfile } from './profile.ts';
export {
  deleteRegistration,
  listContractRegistrations,
  type RegistrationInput,
  registerManualConsumption,
} from './registrations.ts';
export { registerBillingRoutes } from './routes.ts';
export { postRun, type RunOptions, runBilling } from './run.ts';
export {
  getRun,
  type LineFeedPage,
  lineFeed,
  listCustomerLines,
  listSellerRuns,
  type RunWithLines,
  startRun,
} from './runs.ts';
export type { LineDetail } from './settle.ts';
export type { BillingTables } from './tables.ts';
export type {
  ContractView,
  LineView,
  ProductView,
  RegistrationView,
  RunView,
  SubscriptionView,
} from './views.ts';
