/**
 * What a stored report holds, and the interfaces of the inputs it is built from. The data
 * path (data sources and their job outcomes) and consumption figures are owned by other
 * modules; reporting declares here the small shape it consumes, and adapters fill it.
 */

export const backupOutcomes = ['success', 'warning', 'failed', 'missed', 'never'] as const;
/** A data source's most recent scheduled backup: `never` when it has not run yet. */
export type BackupOutcome = (typeof backupOutcomes)[number];

/** One data source as the data path reports it at a given instant. */
export interface DataSourceStatus {
  readonly id: string;
  readonly name: string;
  readonly buId: string;
  readonly lastOutcome: BackupOutcome;
  /** When the last backup ran (or was due, for `missed`); null when never. */
  readonly lastRunAt: number | null;
  /** When the last usable snapshot (success or warning) was taken; null when none. */
  readonly lastGoodAt: number | null;
  readonly protectedBytes: number;
  readonly storedBytes: number;
  /** Warnings of the last run, e.g. files that were locked and skipped. */
  readonly warnings: readonly string[];
  /** Why the last run failed or was missed. */
  readonly failureReason: string | null;
  /** When the agent last talked to the server; null when it never did. */
  readonly agentLastSeenAt: number | null;
}

/** A data source that belongs to no unit: its usage cannot be billed (operators' report). */
export interface UnassignedDataSource {
  readonly id: string;
  readonly name: string;
  readonly storedBytes: number;
  readonly since: number;
}

/** A storage or replication problem recorded by the data path. */
export interface StorageProblem {
  readonly at: number;
  readonly zone: string;
  readonly message: string;
}

/** How full a storage zone is. Capacity and free space are known for filesystem zones only. */
export interface ZoneCapacity {
  readonly zone: string;
  readonly kind: string;
  /** Bytes of the packs the zone holds for its vaults. */
  readonly storedBytes: number;
  readonly capacityBytes: number | null;
  readonly freeBytes: number | null;
  /** Why capacity is unknown when it should be known (the zone's path cannot be read). */
  readonly error?: string;
}

/**
 * The data path's view that reports are built from. The production implementation comes
 * with the server data path (issue 5); until then the server wires the provider it is given.
 */
export interface DataSourceProvider {
  /** Every data source of every unit in `buId`'s subtree, as of `at`. */
  listForSubtree(buId: string, at: number): Promise<readonly DataSourceStatus[]>;
  /** Data sources assigned to no unit. */
  listUnassigned(at: number): Promise<readonly UnassignedDataSource[]>;
  /** Storage and synchronisation errors in [since, until]. */
  storageProblems(since: number, until: number): Promise<readonly StorageProblem[]>;
  /** Every storage zone with its stored bytes and, where known, its capacity and free space. */
  zoneCapacity?(): Promise<readonly ZoneCapacity[]>;
}

/** Consumption of a subtree on one day. */
export interface ConsumptionFigures {
  readonly protectedBytes: number;
  readonly storedBytes: number;
  readonly transferredBytes: number;
  readonly clients: number;
  readonly snapshots: number;
  /** When the figures were measured. */
  readonly asOf: number;
}

export type QuotaState = 'ok' | 'soft_exceeded' | 'hard_exceeded';

export interface QuotaEntry {
  readonly buId: string;
  readonly buName: string;
  readonly state: QuotaState;
  readonly usedBytes: number;
  readonly softLimitBytes: number | null;
  readonly hardLimitBytes: number | null;
}

/** Licence reconciliation figures of the whole installation (operators' report). */
export interface LicenceFigures {
  readonly storedBytes: number;
  readonly licensedBytes: number | null;
  readonly unaccountedBytes: number;
}

/** The usage module's view that reports are built from. */
export interface UsageProvider {
  /** Subtree totals of `buId` for the local day `date` (`YYYY-MM-DD`), or null when nothing was measured. */
  subtreeFigures(buId: string, date: string): Promise<ConsumptionFigures | null>;
  /** Quota state of every unit in `buId`'s subtree that has a quota. */
  quotaStates(buId: string): Promise<readonly QuotaEntry[]>;
  /** Installation-wide reconciliation, or null when not available. */
  licence(): Promise<LicenceFigures | null>;
  /** Data sources whose consumption is assigned to no unit (names may be ids). */
  unassignedDataSources(): Promise<readonly UnassignedDataSource[]>;
}

/** A unit inside a report, with its path from the report's unit down to itself. */
export interface ReportUnit {
  readonly id: string;
  readonly name: string;
  readonly pathIds: readonly string[];
  readonly pathNames: readonly string[];
}

export interface ConsumptionSection {
  readonly today: ConsumptionFigures;
  readonly previousDay: ConsumptionFigures | null;
  readonly previousWeek: ConsumptionFigures | null;
}

/** Stored body of a unit's daily status report (status_reports.body). */
export interface UnitReportBody {
  readonly version: 1;
  readonly kind: 'bu';
  readonly unit: { readonly id: string; readonly name: string; readonly code: string | null };
  readonly date: string;
  readonly timeZone: string;
  readonly generatedAt: number;
  readonly units: readonly ReportUnit[];
  readonly dataSources: readonly DataSourceStatus[];
  readonly consumption: ConsumptionSection | null;
  readonly quotas: readonly QuotaEntry[];
}

export interface DeadJobEntry {
  readonly id: string;
  readonly kind: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly finishedAt: number | null;
}

/** Stored body of the operators' daily server report. */
export interface ServerReportBody {
  readonly version: 1;
  readonly kind: 'server';
  readonly unit: { readonly id: string; readonly name: string; readonly code: string | null };
  readonly date: string;
  readonly timeZone: string;
  readonly generatedAt: number;
  readonly jobs: { readonly counts: Readonly<Record<string, number>>; readonly dead: readonly DeadJobEntry[] };
  readonly storageProblems: readonly StorageProblem[];
  /** Absent in reports stored before zones were reported. */
  readonly zones?: readonly ZoneCapacity[];
  readonly unassignedDataSources: readonly UnassignedDataSource[];
  readonly quotas: readonly QuotaEntry[];
  readonly licence: LicenceFigures | null;
  readonly undeliverableMail: number;
}

export type ReportBody = UnitReportBody | ServerReportBody;

/** Counts kept beside the body so lists need not parse it. */
export interface ReportSummary {
  readonly dataSources: number;
  readonly byOutcome: Readonly<Record<BackupOutcome, number>>;
  readonly quotaBreaches: number;
  readonly problems: number;
}
