import { expect, it } from 'vitest';
import { builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { identityDb } from '../../src/identity/db.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  createSession,
  createUser,
  type IdentityTestServer,
  injectAs,
} from '../helpers/principals.ts';

async function counts(server: IdentityTestServer) {
  const db = identityDb(server.database);
  const [users, roles, keys, head] = await Promise.all([
    db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('roles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    db.selectFrom('audit_chain').select('seq').executeTakeFirstOrThrow(),
  ]);
  return { users: Number(users.n), roles: Number(roles.n), keys: Number(keys.n), audit: Number(head.seq) };
}

describeEachDatabase('bad input', (factory) => {
  it('answers malformed, unknown, mistyped, oversized and badly named input with 4xx problem+json and writes nothing', async () => {
    const server = await buildIdentityServer(factory);
    const session = await createSession(server, await createUser(server, { buId: server.rootId }));
    const before = await counts(server);
    const user = (body: Record<string, unknown>) => ({
      buId: server.rootId,
      email: 'someone@example.test',
      displayName: 'Someone',
      roleId: builtinRoleId('read-only'),
      password: 'long enough password',
      ...body,
    });
    const role = (body: Record<string, unknown>) => ({
      buId: server.rootId,
      name: 'Role',
      privileges: ['bu.read'],
      ...body,
    });
    const cases: {
      url: string;
      method?: 'POST' | 'PATCH';
      payload: string | object;
      status: number;
      type: string;
      detail?: RegExp;
    }[] = [
      { url: '/api/v1/users', payload: '{"email": ', status: 400, type: 'malformed_request' },
      { url: '/api/v1/users', payload: user({ admin: true }), status: 400, type: 'validation_failed', detail: /admin/ },
      {
        url: '/api/v1/users',
        payload: user({ displayName: 42 }),
        status: 400,
        type: 'validation_failed',
        detail: /displayName/,
      },
      {
        url: '/api/v1/users',
        payload: user({ email: 'not-an-address' }),
        status: 400,
        type: 'validation_failed',
        detail: /email/,
      },
      { url: '/api/v1/users', payload: user({ displayName: '' }), status: 400, type: 'validation_failed' },
      {
        url: '/api/v1/users',
        payload: user({ displayName: '   ' }),
        status: 400,
        type: 'validation_failed',
        detail: /empty/,
      },
      { url: '/api/v1/users', payload: user({ displayName: 'x'.repeat(201) }), status: 400, type: 'validation_failed' },
      {
        url: '/api/v1/users',
        payload: user({ displayName: 'bell\u0007name' }),
        status: 400,
        type: 'validation_failed',
      },
      { url: '/api/v1/users', payload: user({ displayName: 'line\nbreak' }), status: 400, type: 'validation_failed' },
      {
        url: '/api/v1/users',
        payload: user({ roleId: 'no-such-role' }),
        status: 400,
        type: 'validation_failed',
        detail: /Role/,
      },
      { url: '/api/v1/users', payload: user({ password: 'short' }), status: 400, type: 'password_policy' },
      {
        url: '/api/v1/roles',
        payload: role({ privileges: ['root.everything'] }),
        status: 400,
        type: 'validation_failed',
      },
      { url: '/api/v1/roles', payload: role({ privileges: 'bu.read' }), status: 400, type: 'validation_failed' },
      { url: '/api/v1/roles', payload: role({ name: '\u0000' }), status: 400, type: 'validation_failed' },
      {
        url: '/api/v1/roles',
        payload: role({ description: 'x'.repeat(1001) }),
        status: 400,
        type: 'validation_failed',
      },
      {
        url: '/api/v1/api-keys',
        payload: { name: 'k', buId: server.rootId, roleId: 'builtin-read-only', expiresInDays: 0 },
        status: 400,
        type: 'validation_failed',
      },
      {
        url: '/api/v1/api-keys',
        payload: { name: 'k', buId: server.rootId, roleId: 'builtin-read-only', allowedCidrs: ['nonsense'] },
        status: 400,
        type: 'validation_failed',
      },
      {
        url: '/api/v1/users',
        payload: user({ displayName: 'x'.repeat(2 * 1024 * 1024) }),
        status: 413,
        type: 'payload_too_large',
      },
      { url: `/api/v1/users/${'-'.repeat(3)}`, method: 'PATCH', payload: {}, status: 400, type: 'validation_failed' },
    ];
    for (const c of cases) {
      const response = await injectAs(server.app, session, {
        method: c.method ?? 'POST',
        url: c.url,
        payload: c.payload,
        headers: { 'content-type': 'application/json' },
      });
      expect({
        url: c.url,
        payload: String(JSON.stringify(c.payload)).slice(0, 80),
        status: response.statusCode,
      }).toEqual({
        url: c.url,
        payload: String(JSON.stringify(c.payload)).slice(0, 80),
        status: c.status,
      });
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().type).toBe(`urn:coffer:problem:${c.type}`);
      if (c.detail) expect(JSON.stringify(response.json())).toMatch(c.detail);
    }
    expect(await counts(server)).toEqual(before);
  });
});
