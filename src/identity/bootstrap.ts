import type { Kysely } from 'kysely';
import { type Clock, type Database, newId, type PlatformTables } from '../platform/index.ts';
import { insertRootUnit, type TenancyTables } from '../tenancy/index.ts';
import { appendAudit, systemActor } from './audit.ts';
import { builtinRoleId, builtinRoles } from './builtin-roles.ts';
import { asIdentityDb } from './db.ts';
import { generatePassword, hashPassword, type PasswordHashing } from './passwords.ts';
import type { IdentityTables } from './tables.ts';

export interface BootstrapResult {
  rootUnitId: string;
  adminEmail: string;
  /** Shown once; the admin must change it at first sign-in. */
  oneTimePassword: string;
}

type Tables = PlatformTables & TenancyTables & IdentityTables;

/**
 * On an empty installation creates the root business unit, the built-in roles and the
 * first administrator with a one-time password, and returns those details once. On
 * every later start (or when another process won the race) returns null.
 */
export async function bootstrapInstallation(
  database: Database,
  options: { clock: Clock; adminEmail?: string; rootName?: string; passwordHashing?: PasswordHashing },
): Promise<BootstrapResult | null> {
  const db = database.kysely.withTables<TenancyTables & IdentityTables>() as unknown as Kysely<Tables>;
  const now = options.clock.now();
  const existing = await db
    .selectFrom('server_state')
    .select('value')
    .where('key', '=', 'bootstrapped_at')
    .executeTakeFirst();
  if (existing) return null;

  const password = generatePassword();
  const passwordHash = await hashPassword(password, options.passwordHashing);
  const adminEmail = (options.adminEmail ?? 'admin@localhost').toLowerCase();
  try {
    return await db.transaction().execute(async (trx) => {
      // The primary key makes this the race guard between processes starting together.
      await trx
        .insertInto('server_state')
        .values({ key: 'bootstrapped_at', value: String(now), updated_at: now })
        .execute();
      const root = await insertRootUnit(trx as unknown as Kysely<TenancyTables>, {
        name: options.rootName ?? 'Coffer',
        now,
      });
      // The installation is managed from this unit (server-wide settings, certificates).
      await trx.insertInto('server_state').values({ key: 'root_unit_id', value: root.id, updated_at: now }).execute();
      for (const role of builtinRoles) {
        await trx
          .insertInto('roles')
          .values({
            id: builtinRoleId(role.key),
            bu_id: null,
            name: role.name,
            description: role.description,
            privileges: JSON.stringify(role.privileges),
            builtin: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      const adminId = newId(now);
      await trx
        .insertInto('users')
        .values({
          id: adminId,
          bu_id: root.id,
          role_id: builtinRoleId('administrator'),
          email: adminEmail,
          display_name: 'Administrator',
          password_hash: passwordHash,
          must_change_password: 1,
          status: 'active',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await appendAudit(asIdentityDb(trx), {
        actor: systemActor,
        event: {
          action: 'installation.bootstrap',
          buId: root.id,
          resourceType: 'user',
          resourceId: adminId,
          after: { rootUnit: root.name, adminEmail },
        },
        at: now,
        address: 'local',
        requestId: 'bootstrap',
      });
      return { rootUnitId: root.id, adminEmail, oneTimePassword: password };
    });
  } catch (error) {
    const again = await db
      .selectFrom('server_state')
      .select('value')
      .where('key', '=', 'bootstrapped_at')
      .executeTakeFirst();
    if (again) return null;
    throw error;
  }
}
