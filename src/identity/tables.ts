/** Tables owned by the identity module (migrations 0002 and 0004-identity-auth). */
export type IdentityTables = {
  roles: RoleTable;
  users: UserTable;
  sessions: SessionTable;
  sign_in_challenges: SignInChallengeTable;
  user_totp: UserTotpTable;
  recovery_codes: RecoveryCodeTable;
  invitations: InvitationTable;
  api_keys: ApiKeyTable;
  sign_in_throttle: SignInThrottleTable;
  audit_log: AuditLogTable;
  audit_chain: AuditChainTable;
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

/** A browser session. Only the SHA-256 of the cookie token is stored. */
export interface SessionTable {
  id: string;
  token_hash: string;
  user_id: string;
  /** SHA-256 of the CSRF token handed to this session's browser. */
  csrf_hash: string;
  /** How the session was established: `password` now, an identity provider later. */
  auth_method: string;
  /** 1 when a second factor was checked for this session. */
  mfa_verified: number;
  created_at: number;
  last_seen_at: number;
  /** Absolute end of the session. */
  expires_at: number;
  /** The session also ends after this many minutes without a request. */
  idle_minutes: number;
  address: string;
  user_agent: string;
}

/** A password accepted, second factor pending. Short-lived, single use. */
export interface SignInChallengeTable {
  id: string;
  token_hash: string;
  user_id: string;
  attempts: number;
  address: string;
  created_at: number;
  expires_at: number;
}

export interface UserTotpTable {
  user_id: string;
  /** The shared secret, AES-256-GCM under the server key (see secret-box.ts). */
  secret_ciphertext: string;
  /** null while enrolment waits for its first valid code. */
  confirmed_at: number | null;
  /** The highest time step ever accepted; codes at or below it are replays. */
  last_used_step: number | null;
  created_at: number;
  updated_at: number;
}

export interface RecoveryCodeTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface InvitationTable {
  id: string;
  user_id: string;
  token_hash: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
  created_by: string | null;
}

export interface ApiKeyTable {
  id: string;
  /** The public part of the key, shown in lists and used to find the row. */
  prefix: string;
  /** SHA-256 of the secret part. */
  secret_hash: string;
  user_id: string;
  name: string;
  scope_bu_id: string;
  role_id: string;
  /** JSON array of CIDR blocks; empty means any address. */
  allowed_cidrs: string;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  created_at: number;
  /** Set when another API key created this one. */
  created_by_key_id: string | null;
}

/** Failed sign-ins per account (`account:<email>`) and per address (`address:<ip>`). */
export interface SignInThrottleTable {
  key: string;
  failures: number;
  last_failure_at: number;
  locked_until: number | null;
}

export type AuditActorType = 'user' | 'apikey' | 'system';

/** One audit entry; `hash` covers the entry and `prev_hash`, chaining every entry to the one before. */
export interface AuditLogTable {
  seq: number;
  id: string;
  at: number;
  actor_type: AuditActorType;
  actor_user_id: string | null;
  actor_key_id: string | null;
  actor_name: string;
  action: string;
  bu_id: string | null;
  resource_type: string;
  resource_id: string | null;
  /** Canonical JSON or null. */
  before_json: string | null;
  after_json: string | null;
  address: string;
  request_id: string;
  prev_hash: string;
  hash: string;
}

/** The single row that serialises appends to the audit chain. */
export interface AuditChainTable {
  id: number;
  seq: number;
  head_hash: string;
}
