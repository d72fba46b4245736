import type { Selectable } from 'kysely';
import type { ReportingDb } from './db.ts';
import type { ReportKind, StatusReportTable } from './tables.ts';

export type ReportRow = Selectable<StatusReportTable>;
export type ReportListRow = Omit<ReportRow, 'body'>;

/** Inserts unless the unit already has this day's report of this kind; returns the stored row either way. */
export async function insertReport(db: ReportingDb, row: ReportRow): Promise<{ row: ReportRow; created: boolean }> {
  const result = await db
    .insertInto('status_reports')
    .values(row)
    .onConflict((oc) => oc.columns(['bu_id', 'kind', 'report_date']).doNothing())
    .executeTakeFirst();
  const created = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  if (created) return { row, created };
  const existing = await findReportOfDay(db, row.bu_id, row.kind, row.report_date);
  if (!existing) throw new Error(`report of ${row.bu_id} for ${row.report_date} vanished`);
  return { row: existing, created: false };
}

export async function findReportOfDay(db: ReportingDb, buId: string, kind: ReportKind, date: string) {
  return db
    .selectFrom('status_reports')
    .selectAll()
    .where('bu_id', '=', buId)
    .where('kind', '=', kind)
    .where('report_date', '=', date)
    .executeTakeFirst();
}

export async function findReport(db: ReportingDb, id: string): Promise<ReportRow | undefined> {
  return db.selectFrom('status_reports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A unit's reports, newest day first, without bodies. */
export async function listReports(
  db: ReportingDb,
  buId: string,
  options: { kind: ReportKind; limit: number; before?: string; from?: string; to?: string },
): Promise<ReportListRow[]> {
  let query = db
    .selectFrom('status_reports')
    .select(['id', 'bu_id', 'kind', 'report_date', 'time_zone', 'generated_at', 'summary'])
    .where('bu_id', '=', buId)
    .where('kind', '=', options.kind);
  if (options.before) query = query.where('report_date', '<', options.before);
  if (options.from) query = query.where('report_date', '>=', options.from);
  if (options.to) query = query.where('report_date', '<=', options.to);
  return query.orderBy('report_date', 'desc').limit(options.limit).execute();
}

/** Every unit in the subtree of `buId`, with its parent. */
export async function subtreeUnits(db: ReportingDb, buId: string) {
  return db
    .selectFrom('bu_closure')
    .innerJoin('business_units as u', 'u.id', 'bu_closure.descendant_id')
    .select(['u.id', 'u.name', 'u.code', 'u.parent_id', 'bu_closure.depth'])
    .where('bu_closure.ancestor_id', '=', buId)
    .orderBy('bu_closure.depth')
    .execute();
}

/**
 * Units without a report of `kind` generated since `since`: the candidates a tick looks at
 * (a unit reported within the last 20 hours cannot be due again yet).
 */
export async function unitsNotReportedSince(db: ReportingDb, kind: ReportKind, since: number, rootsOnly: boolean) {
  let query = db
    .selectFrom('business_units as u')
    .select(['u.id'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('status_reports as r')
            .select('r.id')
            .whereRef('r.bu_id', '=', 'u.id')
            .where('r.kind', '=', kind)
            .where('r.generated_at', '>=', since),
        ),
      ),
    );
  if (rootsOnly) query = query.where('u.parent_id', 'is', null);
  return (await query.execute()).map((r) => r.id);
}

/** Names of the units from the root down to `buId`. */
export async function unitPathNames(db: ReportingDb, buId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('bu_closure')
    .innerJoin('business_units as u', 'u.id', 'bu_closure.ancestor_id')
    .select(['u.name', 'bu_closure.depth'])
    .where('bu_closure.descendant_id', '=', buId)
    .orderBy('bu_closure.depth', 'desc')
    .execute();
  return rows.map((r) => r.name);
}
