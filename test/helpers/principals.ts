import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { newApiKey } from '../../src/identity/api-key-format.ts';
import { bootstrapInstallation } from '../../src/identity/bootstrap.ts';
import { type BuiltinRole, builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { identityDb } from '../../src/identity/db.ts';
import { hashPassword, testHashing } from '../../src/identity/passwords.ts';
import type { IdentityRuntime } from '../../src/identity/runtime.ts';
import { issueSession } from '../../src/identity/sign-in.ts';
import { sha256Hex } from '../../src/identity/tokens.ts';
import { createLogger, loadConfig, ManualClock, newId } from '../../src/platform/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { findUnit, insertChildUnit, insertRootUnit, tenancyDb } from '../../src/tenancy/store.ts';
import type { TestDatabase, TestDatabaseFactory } from './databases.ts';

/**
 * Factories for identity-aware tests: a server with cheap password hashing on a fresh
 * database, business-unit trees, roles, users, sessions and API keys. Other modules'
 * tests reuse these to act as a principal at a given place in the tree.
 */

export interface IdentityTestServer {
  readonly app: FastifyInstance;
  readonly database: TestDatabase;
  readonly clock: ManualClock;
  readonly identity: IdentityRuntime;
  /** The root unit created by the bootstrap. */
  readonly rootId: string;
  /** The bootstrap administrator (must change the one-time password at first sign-in). */
  readonly bootstrapAdmin: { email: string; password: string };
}

/** A server on a fresh database of `factory`'s dialect, bootstrapped (root unit and built-in roles). */
export async function buildIdentityServer(
  factory: TestDatabaseFactory,
  options: { clock?: ManualClock; env?: NodeJS.ProcessEnv } = {},
): Promise<IdentityTestServer> {
  const database = await factory.create();
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 15, 12));
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-identity-'));
  const config = loadConfig({ COFFER_DATA_DIR: dataDir, ...options.env });
  const boot = await bootstrapInstallation(database, { clock, passwordHashing: testHashing });
  if (!boot) throw new Error('bootstrap did not run on a fresh database');
  const app = await buildServer({
    config,
    database,
    clock,
    log: createLogger({ level: 'silent' }),
    identity: { secretKey: randomBytes(32), passwordHashing: testHashing },
  });
  return {
    app,
    database,
    clock,
    identity: app.identity,
    rootId: boot.rootUnitId,
    bootstrapAdmin: { email: boot.adminEmail, password: boot.oneTimePassword },
  };
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** A child unit under `parentId`. */
export async function createUnit(
  server: IdentityTestServer,
  parentId: string,
  options: { name?: string; code?: string | null } = {},
): Promise<string> {
  const db = tenancyDb(server.database);
  const parent = await findUnit(db, parentId);
  if (!parent) throw new Error(`no unit ${parentId}`);
  const row = await db.transaction().execute((trx) =>
    insertChildUnit(trx, parent, {
      name: options.name ?? unique('unit'),
      code: options.code ?? null,
      now: server.clock.now(),
    }),
  );
  return row.id;
}

/** A second root unit (another tree of the installation). */
export async function createRootUnit(server: IdentityTestServer, name = unique('root')): Promise<string> {
  const db = tenancyDb(server.database);
  const row = await db.transaction().execute((trx) => insertRootUnit(trx, { name, now: server.clock.now() }));
  return row.id;
}

/** A custom role defined at `buId` (null: a global role, like a built-in one) holding `privileges`. */
export async function createRole(
  server: IdentityTestServer,
  buId: string | null,
  privileges: readonly string[],
  name = unique('role'),
): Promise<string> {
  const now = server.clock.now();
  const id = newId(now);
  await identityDb(server.database)
    .insertInto('roles')
    .values({
      id,
      bu_id: buId,
      name,
      description: '',
      privileges: JSON.stringify(privileges),
      builtin: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly buId: string;
  readonly roleId: string;
  readonly displayName: string;
}

/** An active user (password known, no forced change unless asked) in `buId` with a built-in or custom role. */
export async function createUser(
  server: IdentityTestServer,
  options: {
    buId: string;
    role?: BuiltinRole['key'];
    roleId?: string;
    email?: string;
    password?: string;
    mustChangePassword?: boolean;
    status?: 'active' | 'invited' | 'disabled';
  },
): Promise<TestUser> {
  const now = server.clock.now();
  const email = options.email ?? `${unique('user')}@example.test`;
  const password = options.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const roleId = options.roleId ?? builtinRoleId(options.role ?? 'administrator');
  const user: TestUser = {
    id: newId(now),
    email,
    password,
    buId: options.buId,
    roleId,
    displayName: email.split('@')[0] ?? email,
  };
  await identityDb(server.database)
    .insertInto('users')
    .values({
      id: user.id,
      bu_id: user.buId,
      role_id: roleId,
      email,
      display_name: user.displayName,
      password_hash: options.status === 'invited' ? null : await hashPassword(password, testHashing),
      must_change_password: options.mustChangePassword ? 1 : 0,
      status: options.status ?? 'active',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return user;
}

/** How a test request authenticates: the headers to send. */
export interface Credential {
  readonly kind: 'session' | 'apikey';
  readonly headers: Readonly<Record<string, string>>;
  /** Session id or API key id. */
  readonly id: string;
}

/** A browser session for `user`, created as sign-in creates one (cookie + CSRF header). */
export async function createSession(
  server: IdentityTestServer,
  user: TestUser,
  options: { mfaVerified?: boolean } = {},
): Promise<Credential> {
  const db = identityDb(server.database);
  const row = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  const issued = await issueSession(server.identity, db, row, {
    mfaVerified: options.mfaVerified ?? false,
    authMethod: 'password',
    address: '127.0.0.1',
    userAgent: 'test',
  });
  return sessionCredential(issued.sessionId, issued.token, issued.csrfToken);
}

export function sessionCredential(id: string, token: string, csrfToken: string): Credential {
  return {
    kind: 'session',
    id,
    headers: { cookie: `coffer_session=${token}; coffer_csrf=${csrfToken}`, 'x-csrf-token': csrfToken },
  };
}

/** An API key of `user`, scoped to `buId` (default: the user's unit) with `roleId` (default: the user's role). */
export async function createApiKey(
  server: IdentityTestServer,
  user: TestUser,
  options: { buId?: string; roleId?: string; expiresInMs?: number; allowedCidrs?: string[] } = {},
): Promise<Credential & { token: string }> {
  const now = server.clock.now();
  const { prefix, secret, token } = newApiKey();
  const id = newId(now);
  await identityDb(server.database)
    .insertInto('api_keys')
    .values({
      id,
      prefix,
      secret_hash: sha256Hex(secret),
      user_id: user.id,
      name: unique('key'),
      scope_bu_id: options.buId ?? user.buId,
      role_id: options.roleId ?? user.roleId,
      allowed_cidrs: JSON.stringify(options.allowedCidrs ?? []),
      expires_at: now + (options.expiresInMs ?? 30 * 24 * 60 * 60_000),
      revoked_at: null,
      last_used_at: null,
      created_at: now,
      created_by_key_id: null,
    })
    .execute();
  return { kind: 'apikey', id, token, headers: { authorization: `Bearer ${token}` } };
}

/** `app.inject` with a credential's headers merged in. */
export function injectAs(
  app: FastifyInstance,
  credential: Credential | null,
  options: InjectOptions & { method: InjectOptions['method']; url: string },
): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, headers: { ...(credential?.headers ?? {}), ...(options.headers ?? {}) } });
}

/** Signs in through the API (email + password) and returns the session credential from the cookies. */
export async function signInOverHttp(
  app: FastifyInstance,
  user: { email: string; password: string },
): Promise<Credential> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email: user.email, password: user.password },
  });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as { status: string; csrfToken: string };
  const token = response.cookies.find((c) => c.name === 'coffer_session')?.value;
  if (body.status !== 'signed_in' || !token) throw new Error(`sign-in did not start a session: ${response.body}`);
  return sessionCredential('', token, body.csrfToken);
}

/** Sets an inherited setting at a unit directly (tenancy validates values on its own routes). */
export async function setSetting(
  server: IdentityTestServer,
  buId: string,
  key: string,
  value: unknown,
  options: { locked?: boolean } = {},
): Promise<void> {
  const db = tenancyDb(server.database);
  await db.deleteFrom('bu_settings').where('bu_id', '=', buId).where('key', '=', key).execute();
  await db
    .insertInto('bu_settings')
    .values({
      bu_id: buId,
      key,
      value: JSON.stringify(value),
      locked: options.locked ? 1 : 0,
      updated_at: server.clock.now(),
      updated_by: null,
    })
    .execute();
}

/** The value of a named cookie in a response, if set. */
export function cookieOf(response: LightMyRequestResponse, name: string) {
  return response.cookies.find((c) => c.name === name);
}
