/**
 * The privilege catalogue of the whole product. A role is a set of these; the access
 * module checks them. Adding a feature adds its privileges here.
 */
export const privileges = [
  'bu.read',
  'bu.create',
  'bu.update',
  'bu.move',
  'bu.delete',
  'user.read',
  'user.create',
  'user.update',
  'user.delete',
  'role.read',
  'role.create',
  'role.update',
  'role.delete',
  'apikey.read',
  'apikey.create',
  'apikey.delete',
  'settings.read',
  'settings.update',
  'datasource.read',
  'datasource.create',
  'datasource.update',
  'datasource.delete',
  'backup.run',
  'restore.run',
  'billing.read',
  'billing.manage',
  'report.read',
  'report.manage',
  'audit.read',
  'server.manage',
] as const;

export type Privilege = (typeof privileges)[number];

export function isPrivilege(value: string): value is Privilege {
  return (privileges as readonly string[]).includes(value);
}
