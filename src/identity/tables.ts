/** Tables owned by the identity module. */
export type IdentityTables = {
  roles: RoleTable;
  users: UserTable;
};

export interface RoleTable {
  id: string;
  /** null for built-in roles, which every unit can use. */
  bu_id: string | null;
  name: string;
  description: string;
  /** JSON array of privilege names. */
  privileges: string;
  builtin: number;
  created_at: number;
  updated_at: number;
}

export type UserStatus = 'active' | 'invited' | 'disabled';

export interface UserTable {
  id: string;
  bu_id: string;
  role_id: string;
  /** Lower-case; the sign-in name. */
  email: string;
  display_name: string;
  /** argon2id PHC string; null until an invited user sets one. */
  password_hash: string | null;
  must_change_password: number;
  status: UserStatus;
  created_at: number;
  updated_at: number;
}
