import type { ApiKeyRow } from './api-key-store.ts';
import type { Role } from './role-store.ts';
import type { UserRow } from './user-store.ts';

/** The shapes the API returns; never hashes or secrets. */
export interface UserView {
  id: string;
  buId: string;
  email: string;
  displayName: string;
  roleId: string;
  status: string;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export function userView(row: UserRow): UserView {
  return {
    id: row.id,
    buId: row.bu_id,
    email: row.email,
    displayName: row.display_name,
    roleId: row.role_id,
    status: row.status,
    mustChangePassword: row.must_change_password === 1,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export interface RoleView {
  id: string;
  buId: string | null;
  name: string;
  description: string;
  privileges: string[];
  builtin: boolean;
  createdAt: string;
  updatedAt: string;
}

export function roleView(role: Role): RoleView {
  return {
    id: role.id,
    buId: role.buId,
    name: role.name,
    description: role.description,
    privileges: [...role.privileges].sort(),
    builtin: role.builtin,
    createdAt: new Date(role.createdAt).toISOString(),
    updatedAt: new Date(role.updatedAt).toISOString(),
  };
}

export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string;
  userId: string;
  buId: string;
  roleId: string;
  allowedCidrs: string[];
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  status: 'active' | 'revoked' | 'expired';
}

export function apiKeyView(row: ApiKeyRow, now: number): ApiKeyView {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    userId: row.user_id,
    buId: row.scope_bu_id,
    roleId: row.role_id,
    allowedCidrs: JSON.parse(row.allowed_cidrs) as string[],
    expiresAt: new Date(row.expires_at).toISOString(),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    status: row.revoked_at !== null ? 'revoked' : row.expires_at <= now ? 'expired' : 'active',
  };
}
