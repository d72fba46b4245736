import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { type ErrorDefinition, effectiveErrorDefinition, findProblems } from './error-definition.ts';
import { flushOutboxJob, queueMail } from './outbox.ts';
import type { ReportBrand } from './ports.ts';
import type { ReportBody } from './report-model.ts';
import type { ReportRow } from './report-store.ts';
import { parseSchedule, type SendCondition, shouldSend } from './schedule.ts';
import { findUserRecipients, isWithin, unitPathBetween } from './subscriber-store.ts';
import { holdsPrivilege } from './subscribers.ts';
import { lowerSubscriptionUnits, subscriptionsAt } from './subscription-store.ts';
import { renderServerReport, renderUnitReport } from './templates/render.ts';

export interface DeliveryDecision {
  readonly subscriptionId: string;
  readonly recipient: string | null;
  readonly decision: 'queued' | 'already_queued' | 'not_scheduled' | 'no_errors' | 'subscriber_ineligible';
  readonly problems: number;
}

/** The sender of a unit's mail: its brand's sender, else the installation default address. */
export function senderOf(deps: ReportingDeps, brand: ReportBrand) {
  return { name: brand.senderName || brand.displayName, address: brand.senderAddress || deps.mail.defaultSender };
}

/**
 * Decides, for every subscription set at the report's unit, whether its subscriber gets this
 * report today — their schedule on the report's local day, their send condition and their
 * own error definition — and queues one e-mail per recipient in the outbox. Each recipient
 * sees only their share: units covered by their own subscriptions lower in the tree are left
 * out (those subscriptions send them), and a user must still see the unit and hold
 * `report.read`. Idempotent: a message per report and subscription is queued once.
 */
export async function deliverReport(deps: ReportingDeps, report: ReportRow): Promise<DeliveryDecision[]> {
  const db = reportingDb(deps.database);
  const body = JSON.parse(report.body) as ReportBody;
  const subscriptions = (await subscriptionsAt(db, report.bu_id, report.kind)).filter((s) => s.enabled === 1);
  if (subscriptions.length === 0) return [];
  const [settings, brand, users, lower] = await Promise.all([
    deps.settings.settingsFor(report.bu_id),
    deps.brands.brandFor(report.bu_id),
    findUserRecipients(
      db,
      subscriptions.flatMap((s) => (s.user_id ? [s.user_id] : [])),
    ),
    lowerSubscriptionUnits(
      db,
      report.bu_id,
      report.kind,
      subscriptions.map((s) => s.subscriber_key),
    ),
  ]);
  const usersById = new Map(users.map((user) => [user.id, user]));
  const decisions: DeliveryDecision[] = [];
  let queued = 0;
  for (const subscription of subscriptions) {
    const user = subscription.user_id ? usersById.get(subscription.user_id) : undefined;
    let recipient: { email: string; name: string } | null = null;
    let pathFrom: string | null = null;
    if (subscription.user_id) {
      const eligible =
        user !== undefined &&
        user.status === 'active' &&
        holdsPrivilege(user, 'report.read') &&
        (await isWithin(db, user.bu_id, report.bu_id));
      if (eligible && user) {
        recipient = { email: user.email, name: user.display_name };
        pathFrom = user.bu_id;
      }
    } else if (subscription.email) {
      recipient = { email: subscription.email, name: subscription.email };
    }
    if (!recipient) {
      decisions.push({
        subscriptionId: subscription.id,
        recipient: null,
        decision: 'subscriber_ineligible',
        problems: 0,
      });
      continue;
    }
    const excludedUnitIds = new Set(
      lower.filter((row) => row.subscriber_key === subscription.subscriber_key).map((row) => row.bu_id),
    );
    const patch = subscription.error_definition
      ? (JSON.parse(subscription.error_definition) as Partial<ErrorDefinition>)
      : null;
    const definition = effectiveErrorDefinition(settings.errorDefinition, patch);
    const problems = findProblems(body, definition, { excludedUnitIds });
    const schedule = parseSchedule(JSON.parse(subscription.schedule));
    const condition = subscription.send_condition as SendCondition;
    if (!shouldSend(schedule, condition, report.report_date, problems.length > 0)) {
      const decision = condition === 'errors_only' && problems.length === 0 ? 'no_errors' : 'not_scheduled';
      decisions.push({
        subscriptionId: subscription.id,
        recipient: recipient.email,
        decision,
        problems: problems.length,
      });
      continue;
    }
    const unitPath = pathFrom ? await unitPathBetween(db, pathFrom, report.bu_id) : body.unit.name;
    const mail =
      body.kind === 'bu'
        ? await renderUnitReport({
            body,
            brand,
            content: settings.content,
            definition,
            scope: { excludedUnitIds },
            template: settings.emailTemplate,
            recipient,
            unitPath,
          })
        : await renderServerReport({ body, brand, definition, template: settings.emailTemplate, recipient });
    const inserted = await queueMail(
      db,
      {
        dedupKey: `report:${report.id}:${subscription.id}`,
        buId: report.bu_id,
        category: 'report',
        recipient: recipient.email,
        from: senderOf(deps, brand),
        mail,
      },
      deps.clock.now(),
    );
    if (inserted) queued++;
    decisions.push({
      subscriptionId: subscription.id,
      recipient: recipient.email,
      decision: inserted ? 'queued' : 'already_queued',
      problems: problems.length,
    });
  }
  if (queued > 0)
    await deps.queue.enqueue(flushOutboxJob, {}, { idempotencyKey: `reporting.flush:report:${report.id}` });
  return decisions;
}
