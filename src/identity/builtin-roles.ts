import { type Privilege, privileges } from './privileges.ts';

export interface BuiltinRole {
  key: 'administrator' | 'operator' | 'finance' | 'read-only' | 'end-user';
  name: string;
  description: string;
  privileges: readonly Privilege[];
}

const reads = privileges.filter((p) => p.endsWith('.read'));

/** The roles every installation has; custom roles are defined per business unit. */
export const builtinRoles: readonly BuiltinRole[] = Object.freeze([
  { key: 'administrator', name: 'Administrator', description: 'Everything in the subtree', privileges },
  {
    key: 'operator',
    name: 'Operator',
    description: 'Runs data protection: data sources, backups, restores, reports',
    privileges: [
      ...reads.filter((p) => p !== 'billing.read'),
      'datasource.create',
      'datasource.update',
      'datasource.delete',
      'backup.run',
      'restore.run',
      'report.manage',
    ],
  },
  {
    key: 'finance',
    name: 'Finance',
    description: 'Sees and manages billing',
    privileges: ['bu.read', 'billing.read', 'billing.manage', 'report.read'],
  },
  {
    key: 'read-only',
    name: 'Read-only',
    description: 'Sees everything in the subtree, changes nothing',
    privileges: reads,
  },
  {
    key: 'end-user',
    name: 'Self-service end user',
    description: 'Own data sources: create, back up, restore, subscribe to reports',
    privileges: [
      'bu.read',
      'datasource.read',
      'datasource.create',
      'backup.run',
      'restore.run',
      'report.read',
      'report.manage',
    ],
  },
]);

/** Stable id of a built-in role row (the same on every installation). */
export function builtinRoleId(key: BuiltinRole['key']): string {
  return `builtin-${key}`;
}
