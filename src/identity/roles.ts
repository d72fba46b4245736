import { ConflictError, NotFoundError, newId, type RequestContext, ValidationError } from '../platform/index.ts';
import { deleteDeadKeysWithRole } from './api-key-store.ts';
import { roleUsableAt } from './principal.ts';
import { isPrivilege } from './privileges.ts';
import {
  deleteRole as deleteRoleRow,
  findRole,
  insertRole,
  listRolesDefinedIn,
  type Role,
  roleNameTaken,
  roleUsage,
  updateRole as updateRoleRow,
} from './role-store.ts';
import { assertGrantable, cleanName, principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { ancestorIds } from './unit-store.ts';
import { type RoleView, roleView } from './views.ts';

function cleanPrivileges(list: readonly string[]): string[] {
  const unknown = list.filter((p) => !isPrivilege(p));
  if (unknown.length > 0)
    throw new ValidationError(`Unknown privileges: ${unknown.join(', ')}`, { field: 'privileges' });
  return [...new Set(list)].sort();
}

function summary(role: Role): Record<string, unknown> {
  return { name: role.name, description: role.description, privileges: [...role.privileges].sort() };
}

/**
 * Reading a role: built-in roles and roles defined above the caller's unit (usable there)
 * are readable with `role.read` at the caller's own unit; other custom roles need
 * `role.read` where they are defined.
 */
async function readableRole(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<Role> {
  const principal = principalOf(ctx);
  const role = await findRole(rt.db, id);
  if (!role) throw new NotFoundError('Role');
  if (role.buId !== null && (await ctx.access.reaches(role.buId))) {
    await ctx.access.require('role.read', role.buId, 'Role');
  } else if (roleUsableAt(role.buId, await ancestorIds(rt.db, principal.scopeBuId))) {
    await ctx.access.require('role.read', principal.scopeBuId, 'Role');
  } else {
    throw new NotFoundError('Role');
  }
  return role;
}

/** A custom role the caller may change: defined inside its subtree and granting nothing it lacks. */
async function changeableRole(rt: IdentityRuntime, ctx: RequestContext, id: string, privilege: string): Promise<Role> {
  const role = await findRole(rt.db, id);
  if (!role || role.buId === null) {
    if (role?.builtin) {
      await ctx.access.require(privilege, principalOf(ctx).scopeBuId, 'Role');
      throw new ConflictError('Built-in roles cannot be changed or deleted');
    }
    throw new NotFoundError('Role');
  }
  await ctx.access.require(privilege, role.buId, 'Role');
  assertGrantable(principalOf(ctx), role.privileges);
  return role;
}

/** The roles usable at `buId`: built-in ones and custom ones defined at the unit or above. */
export async function listRoles(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { buId: string },
): Promise<RoleView[]> {
  await ctx.access.require('role.read', input.buId);
  const roles = await listRolesDefinedIn(rt.db, await ancestorIds(rt.db, input.buId));
  return roles.map(roleView);
}

export async function getRole(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<RoleView> {
  return roleView(await readableRole(rt, ctx, id));
}

/** Defines a custom role in `buId`, usable there and below; it cannot grant more than the caller holds. */
export async function createRole(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { buId: string; name: string; description?: string; privileges: string[] },
): Promise<RoleView> {
  const principal = principalOf(ctx);
  await ctx.access.require('role.create', input.buId);
  const name = cleanName(input.name, 'name', 100);
  const description = input.description === undefined ? '' : input.description.trim();
  const privileges = cleanPrivileges(input.privileges);
  assertGrantable(principal, privileges, 'privileges');
  if (await roleNameTaken(rt.db, input.buId, name))
    throw new ConflictError(`A role named "${name}" already exists here`, { field: 'name' });
  const now = rt.clock.now();
  const role: Role = {
    id: newId(now),
    buId: input.buId,
    name,
    description,
    privileges,
    builtin: false,
    createdAt: now,
    updatedAt: now,
  };
  await rt.db.transaction().execute(async (trx) => {
    await insertRole(trx, role);
    await ctx.audit.record(
      { action: 'role.create', buId: input.buId, resourceType: 'role', resourceId: role.id, after: summary(role) },
      trx,
    );
  });
  return roleView(role);
}

export async function updateRole(
  rt: IdentityRuntime,
  ctx: RequestContext,
  id: string,
  input: { name?: string; description?: string; privileges?: string[] },
): Promise<RoleView> {
  const principal = principalOf(ctx);
  const role = await changeableRole(rt, ctx, id, 'role.update');
  const name = input.name === undefined ? role.name : cleanName(input.name, 'name', 100);
  const description = input.description === undefined ? role.description : input.description.trim();
  const privileges = input.privileges === undefined ? role.privileges : cleanPrivileges(input.privileges);
  assertGrantable(principal, privileges, 'privileges');
  if (name !== role.name && (await roleNameTaken(rt.db, role.buId as string, name, role.id))) {
    throw new ConflictError(`A role named "${name}" already exists here`, { field: 'name' });
  }
  const now = rt.clock.now();
  const updated: Role = { ...role, name, description, privileges, updatedAt: now };
  await rt.db.transaction().execute(async (trx) => {
    await updateRoleRow(trx, role.id, { name, description, privileges, updatedAt: now });
    await ctx.audit.record(
      {
        action: 'role.update',
        buId: role.buId,
        resourceType: 'role',
        resourceId: role.id,
        before: summary(role),
        after: summary(updated),
      },
      trx,
    );
  });
  return roleView(updated);
}

/** Deletes a custom role no user or live API key holds (dead keys holding it are removed with it). */
export async function deleteRole(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<void> {
  const role = await changeableRole(rt, ctx, id, 'role.delete');
  const now = rt.clock.now();
  const usage = await roleUsage(rt.db, role.id, now);
  if (usage.users > 0 || usage.apiKeys > 0) {
    throw new ConflictError(`The role is in use by ${usage.users} users and ${usage.apiKeys} API keys`, usage);
  }
  await rt.db.transaction().execute(async (trx) => {
    await deleteDeadKeysWithRole(trx, role.id, now);
    await deleteRoleRow(trx, role.id);
    await ctx.audit.record(
      { action: 'role.delete', buId: role.buId, resourceType: 'role', resourceId: role.id, before: summary(role) },
      trx,
    );
  });
}
