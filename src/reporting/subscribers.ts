import { NotFoundError, ValidationError } from '../platform/index.ts';
import type { ReportingContext } from './context.ts';
import type { ReportingDb } from './db.ts';
import { findUserRecipient, isWithin, type UserRecipientRow } from './subscriber-store.ts';

/** Who receives mail: a user of the installation, or an external address an authorised user added. */
export type SubscriberInput = { readonly userId: string } | { readonly email: string };

export interface Subscriber {
  /** `user:<id>` or `email:<lower-case address>`: one subscription per subscriber and unit. */
  readonly key: string;
  readonly userId: string | null;
  readonly email: string | null;
}

const maxEmailLength = 254;
const emailPattern =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * A normalised e-mail address (trimmed, domain lower-cased); throws ValidationError. Refuses
 * display names, several addresses, spaces and control characters, so no header can be injected.
 */
export function normaliseEmail(raw: unknown, field = 'email'): string {
  if (typeof raw !== 'string') throw new ValidationError(`${field} must be an e-mail address`);
  const value = raw.trim();
  if (value.length === 0 || value.length > maxEmailLength || !emailPattern.test(value) || value.includes('..')) {
    throw new ValidationError(`${field} '${raw}' is not a valid e-mail address`, { field });
  }
  const at = value.lastIndexOf('@');
  return `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
}

export function holdsPrivilege(row: Pick<UserRecipientRow, 'privileges'>, privilege: string): boolean {
  try {
    const list = JSON.parse(row.privileges) as unknown;
    return Array.isArray(list) && list.includes(privilege);
  } catch {
    return false;
  }
}

/**
 * Checks a subscriber for unit `buId`. A user must be within the caller's reach (else not
 * found), must see `buId` from their own unit and hold `report.read` — so a subscriber can
 * never be sent anything about a unit they could not open themselves.
 */
export async function resolveSubscriber(
  ctx: ReportingContext,
  db: ReportingDb,
  buId: string,
  input: unknown,
): Promise<Subscriber> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError('subscriber must be { "userId": … } or { "email": … }');
  }
  const value = input as Record<string, unknown>;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'userId' && keys[0] !== 'email')) {
    throw new ValidationError('subscriber must have exactly one of userId or email');
  }
  if (keys[0] === 'email') {
    const email = normaliseEmail(value.email, 'subscriber.email');
    return { key: `email:${email.toLowerCase()}`, userId: null, email };
  }
  if (typeof value.userId !== 'string' || value.userId.length === 0) {
    throw new ValidationError('subscriber.userId must be a user id');
  }
  const user = await findUserRecipient(db, value.userId);
  if (!user || !(await ctx.access.reaches(user.bu_id))) throw new NotFoundError('User');
  if (user.status === 'disabled') throw new ValidationError('subscriber.userId: the user is disabled');
  if (!(await isWithin(db, user.bu_id, buId))) {
    throw new ValidationError('subscriber.userId: the user cannot see this business unit from their own unit');
  }
  if (!holdsPrivilege(user, 'report.read')) {
    throw new ValidationError("subscriber.userId: the user's role does not hold report.read");
  }
  return { key: `user:${user.id}`, userId: user.id, email: null };
}
