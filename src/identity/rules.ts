import { type Principal, type RequestContext, UnauthenticatedError, ValidationError } from '../platform/index.ts';
import type { IdentityDb } from './db.ts';
import { PrivilegeEscalationError } from './errors.ts';
import { roleUsableAt } from './principal.ts';
import { findRole, type Role } from './role-store.ts';
import { ancestorIds } from './unit-store.ts';

/** Rules shared by identity's services. */

export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal;
}

/** Throws unless every privilege in `granted` is held by `principal` (nobody grants more than they hold). */
export function assertGrantable(principal: Principal, granted: readonly string[], field?: string): void {
  const missing = granted.filter((p) => !principal.privileges.has(p));
  if (missing.length > 0) throw new PrivilegeEscalationError([...new Set(missing)].sort(), field);
}

/** The role, if it exists and may be used at `buId` (built in, or defined at the unit or an ancestor). */
export async function requireRoleUsableAt(db: IdentityDb, roleId: string, buId: string): Promise<Role> {
  const role = await findRole(db, roleId);
  if (!role || !roleUsableAt(role.buId, await ancestorIds(db, buId))) {
    throw new ValidationError(`Role ${roleId} cannot be used in this business unit`, { field: 'roleId' });
  }
  return role;
}

/** A display name or role name: trimmed, 1..`max` characters, no control characters. */
export function cleanName(value: string, field: string, max = 200): string {
  const trimmed = value.normalize('NFC').trim();
  if (trimmed.length === 0) throw new ValidationError(`${field} must not be empty`, { field });
  if ([...trimmed].length > max) throw new ValidationError(`${field} must be at most ${max} characters`, { field });
  if (/\p{Cc}/u.test(trimmed)) throw new ValidationError(`${field} must not contain control characters`, { field });
  return trimmed;
}

/** Email addresses are compared and stored in lower case. */
export function cleanEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (!/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(email) || email.length > 254) {
    throw new ValidationError('email must be an email address', { field: 'email' });
  }
  return email;
}

/** Opaque paging cursor: base64url of the last item's sort key. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(String(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.length === 0 || text.length > 100 || /\p{Cc}/u.test(text)) {
    throw new ValidationError('cursor is not valid', { field: 'cursor' });
  }
  return text;
}
