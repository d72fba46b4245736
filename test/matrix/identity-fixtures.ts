import { randomBytes } from 'node:crypto';
import { builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { identityDb } from '../../src/identity/db.ts';
import { confirmTotp, saveTotpSecret } from '../../src/identity/mfa-store.ts';
import { codeAtStep, newTotpSecret, stepAt } from '../../src/identity/totp.ts';
import { createApiKey, createRole, createSession, createUser, injectAs, type TestUser } from '../helpers/principals.ts';
import type { MatrixCell, MatrixFixture, MatrixPrincipal, MatrixWorld } from './fixture.ts';
import { withLogo } from './tenancy-fixtures.ts';

const readOnly = builtinRoleId('read-only');
const strongPassword = 'matrix passphrase 2026';

function email(): string {
  return `m-${randomBytes(6).toString('hex')}@example.test`;
}

async function freshUser(world: MatrixWorld, options: { status?: 'active' | 'invited' | 'disabled' } = {}) {
  return createUser(world.server, { buId: world.units.target, role: 'read-only', ...options });
}

async function enrolTotp(world: MatrixWorld, user: TestUser, confirmed: boolean): Promise<string> {
  const secret = newTotpSecret();
  const db = identityDb(world.server.database);
  const now = world.server.clock.now();
  await saveTotpSecret(db, user.id, world.server.identity.box.seal(secret, `totp:${user.id}`), now);
  if (confirmed) await confirmTotp(db, user.id, now);
  return secret;
}

function currentCode(world: MatrixWorld, secret: string): string {
  return codeAtStep(secret, stepAt(world.server.clock.now()));
}

/** The principal's own user, or (anonymous) a throwaway one so the request is well-formed. */
async function selfOf(world: MatrixWorld, principal: MatrixPrincipal | null): Promise<TestUser> {
  return principal?.user ?? freshUser(world);
}

/** Session-only self-service: API keys cannot manage a person's password or second factor. */
function sessionOnly(cell: MatrixCell) {
  return cell.credential === 'apikey' ? 403 : ('success' as const);
}

/** Routes about a unit but without a privilege: reach decides (404 outside), the privilege does not. */
function reachOnly(cell: MatrixCell) {
  return cell.relation === 'same' || cell.relation === 'ancestor' ? ('success' as const) : 404;
}

export const identityFixtures: readonly MatrixFixture[] = [
  // --- sign-in (public) ---
  {
    route: 'POST /api/v1/auth/sign-in',
    consumesPrincipal: true,
    async request(world) {
      const user = await freshUser(world);
      return { method: 'POST', url: '/api/v1/auth/sign-in', payload: { email: user.email, password: user.password } };
    },
  },
  {
    route: 'POST /api/v1/auth/mfa',
    async request(world) {
      const user = await freshUser(world);
      const secret = await enrolTotp(world, user, true);
      const signIn = await world.server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: user.email, password: user.password },
      });
      return {
        method: 'POST',
        url: '/api/v1/auth/mfa',
        payload: { challengeToken: signIn.json().challengeToken, code: currentCode(world, secret) },
      };
    },
  },
  {
    route: 'POST /api/v1/auth/invitations/accept',
    async request(world) {
      const invited = await injectAs(world.server.app, world.admin, {
        method: 'POST',
        url: '/api/v1/users/invitations',
        payload: { buId: world.units.target, email: email(), displayName: 'Invited', roleId: readOnly },
      });
      return {
        method: 'POST',
        url: '/api/v1/auth/invitations/accept',
        payload: { token: invited.json().token, password: strongPassword },
      };
    },
  },
  // --- the caller's own account (authenticated) ---
  {
    route: 'POST /api/v1/auth/sign-out',
    consumesPrincipal: true,
    async request() {
      return { method: 'POST', url: '/api/v1/auth/sign-out' };
    },
  },
  {
    route: 'POST /api/v1/auth/change-password',
    consumesPrincipal: true,
    async request(world, principal) {
      const user = await selfOf(world, principal);
      return {
        method: 'POST',
        url: '/api/v1/auth/change-password',
        payload: { currentPassword: user.password, newPassword: strongPassword },
      };
    },
    expect: sessionOnly,
  },
  {
    route: 'GET /api/v1/me',
    async request() {
      return { method: 'GET', url: '/api/v1/me' };
    },
  },
  {
    route: 'GET /api/v1/me/brand/logo',
    async request(world) {
      // Every principal's unit lies below one of the two roots: both get a logo to inherit.
      await withLogo(world, world.units.root);
      await withLogo(world, world.units.otherRoot);
      return { method: 'GET', url: '/api/v1/me/brand/logo' };
    },
  },
  {
    route: 'POST /api/v1/me/totp',
    consumesPrincipal: true,
    async request() {
      return { method: 'POST', url: '/api/v1/me/totp', payload: {} };
    },
    expect: sessionOnly,
  },
  {
    route: 'POST /api/v1/me/totp/confirm',
    consumesPrincipal: true,
    async request(world, principal) {
      const secret = await enrolTotp(world, await selfOf(world, principal), false);
      return { method: 'POST', url: '/api/v1/me/totp/confirm', payload: { code: currentCode(world, secret) } };
    },
    expect: sessionOnly,
  },
  {
    route: 'DELETE /api/v1/me/totp',
    consumesPrincipal: true,
    async request(world, principal) {
      const user = await selfOf(world, principal);
      await enrolTotp(world, user, true);
      return { method: 'DELETE', url: '/api/v1/me/totp', payload: { password: user.password } };
    },
    expect: sessionOnly,
  },
  {
    route: 'POST /api/v1/me/totp/recovery-codes',
    consumesPrincipal: true,
    async request(world, principal) {
      const secret = await enrolTotp(world, await selfOf(world, principal), true);
      return { method: 'POST', url: '/api/v1/me/totp/recovery-codes', payload: { code: currentCode(world, secret) } };
    },
    expect: sessionOnly,
  },
  {
    route: 'GET /api/v1/me/explain',
    async request(world) {
      return { method: 'GET', url: `/api/v1/me/explain?privilege=bu.read&buId=${world.units.target}` };
    },
    expect: reachOnly,
  },
  {
    route: 'GET /api/v1/me/sessions',
    async request() {
      return { method: 'GET', url: '/api/v1/me/sessions' };
    },
  },
  {
    route: 'DELETE /api/v1/me/sessions/:sessionId',
    async request(world, principal) {
      const other = await createSession(world.server, await selfOf(world, principal));
      return { method: 'DELETE', url: `/api/v1/me/sessions/${other.id}` };
    },
  },
  {
    route: 'GET /api/v1/privileges',
    async request() {
      return { method: 'GET', url: '/api/v1/privileges' };
    },
  },
  // --- users ---
  {
    route: 'GET /api/v1/users',
    async request(world) {
      return { method: 'GET', url: `/api/v1/users?buId=${world.units.target}` };
    },
  },
  {
    route: 'POST /api/v1/users',
    async request(world) {
      return {
        method: 'POST',
        url: '/api/v1/users',
        payload: {
          buId: world.units.target,
          email: email(),
          displayName: 'New',
          roleId: readOnly,
          password: strongPassword,
        },
      };
    },
  },
  {
    route: 'POST /api/v1/users/invitations',
    async request(world) {
      return {
        method: 'POST',
        url: '/api/v1/users/invitations',
        payload: { buId: world.units.target, email: email(), displayName: 'New', roleId: readOnly },
      };
    },
  },
  ...(
    [
      ['GET', '', {}],
      ['PATCH', '', { payload: { displayName: 'Renamed' } }],
      ['DELETE', '', {}],
      ['POST', '/disable', {}],
      ['POST', '/unlock', {}],
      ['POST', '/reset-mfa', {}],
      ['GET', '/explain?privilege=bu.read&buId=TARGET', {}],
    ] as const
  ).map(
    ([method, suffix, extra]): MatrixFixture => ({
      route: `${method} /api/v1/users/:userId${suffix.split('?')[0]}`,
      async request(world) {
        const user = await freshUser(world);
        return { method, url: `/api/v1/users/${user.id}${suffix.replace('TARGET', world.units.target)}`, ...extra };
      },
    }),
  ),
  {
    route: 'POST /api/v1/users/:userId/enable',
    async request(world) {
      const user = await freshUser(world, { status: 'disabled' });
      return { method: 'POST', url: `/api/v1/users/${user.id}/enable` };
    },
  },
  {
    route: 'POST /api/v1/users/:userId/invitation',
    async request(world) {
      const user = await freshUser(world, { status: 'invited' });
      return { method: 'POST', url: `/api/v1/users/${user.id}/invitation` };
    },
  },
  // --- roles ---
  {
    route: 'GET /api/v1/roles',
    async request(world) {
      return { method: 'GET', url: `/api/v1/roles?buId=${world.units.target}` };
    },
  },
  {
    route: 'POST /api/v1/roles',
    async request(world) {
      return {
        method: 'POST',
        url: '/api/v1/roles',
        payload: { buId: world.units.target, name: `Role ${randomBytes(4).toString('hex')}`, privileges: ['bu.read'] },
      };
    },
  },
  {
    route: 'GET /api/v1/roles/:roleId',
    async request(world) {
      return { method: 'GET', url: `/api/v1/roles/${await createRole(world.server, world.units.target, ['bu.read'])}` };
    },
    // A role defined above a unit is usable there, so principals below may read it (with role.read).
    expect(cell) {
      if (cell.relation === 'descendant') return cell.privileged ? 'success' : 403;
      return cell.relation === 'same' || cell.relation === 'ancestor' ? (cell.privileged ? 'success' : 403) : 404;
    },
  },
  {
    route: 'PATCH /api/v1/roles/:roleId',
    async request(world) {
      const id = await createRole(world.server, world.units.target, ['bu.read']);
      return { method: 'PATCH', url: `/api/v1/roles/${id}`, payload: { description: 'changed' } };
    },
  },
  {
    route: 'DELETE /api/v1/roles/:roleId',
    async request(world) {
      return {
        method: 'DELETE',
        url: `/api/v1/roles/${await createRole(world.server, world.units.target, ['bu.read'])}`,
      };
    },
  },
  // --- API keys ---
  {
    route: 'GET /api/v1/api-keys',
    async request(world) {
      return { method: 'GET', url: `/api/v1/api-keys?buId=${world.units.target}` };
    },
  },
  {
    route: 'POST /api/v1/api-keys',
    async request(world) {
      return {
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'Integration', buId: world.units.target, roleId: readOnly, expiresInDays: 30 },
      };
    },
  },
  ...(
    [
      ['GET', ''],
      ['DELETE', ''],
      ['GET', '/explain?privilege=bu.read&buId=TARGET'],
    ] as const
  ).map(
    ([method, suffix]): MatrixFixture => ({
      route: `${method} /api/v1/api-keys/:apiKeyId${suffix.split('?')[0]}`,
      async request(world) {
        const key = await createApiKey(world.server, await freshUser(world));
        return { method, url: `/api/v1/api-keys/${key.id}${suffix.replace('TARGET', world.units.target)}` };
      },
    }),
  ),
  // --- audit ---
  {
    route: 'GET /api/v1/audit',
    async request(world) {
      return { method: 'GET', url: `/api/v1/audit?buId=${world.units.target}` };
    },
  },
  {
    route: 'GET /api/v1/audit/export',
    async request(world) {
      return { method: 'GET', url: `/api/v1/audit/export?buId=${world.units.target}&format=csv` };
    },
  },
  {
    route: 'GET /api/v1/audit/verify',
    async request() {
      return { method: 'GET', url: '/api/v1/audit/verify' };
    },
    // The chain spans the installation: only principals scoped at a root may verify it.
    expect(cell) {
      if (cell.relation !== 'otherRoot') return 404;
      return cell.privileged ? 'success' : 403;
    },
  },
];
