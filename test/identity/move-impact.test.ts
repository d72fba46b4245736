import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  createApiKey,
  createRole,
  createSession,
  createUnit,
  createUser,
  injectAs,
} from '../helpers/principals.ts';

describeEachDatabase('move impact', (factory) => {
  it('lists the users and keys that lose or gain reach of a moved subtree, and access follows the move', async () => {
    const server = await buildIdentityServer(factory);
    const east = await createUnit(server, server.rootId, { name: 'East' });
    const west = await createUnit(server, server.rootId, { name: 'West' });
    const moving = await createUnit(server, east, { name: 'Moving' });
    const eastAdmin = await createUser(server, { buId: east, role: 'read-only' });
    const westAdmin = await createUser(server, { buId: west, role: 'read-only' });
    const inside = await createUser(server, { buId: moving, role: 'read-only' });
    // A role defined at East is usable in Moving only while Moving lies under East.
    const eastRole = await createRole(server, east, ['bu.read', 'user.read']);
    const eastRoleHolder = await createUser(server, { buId: moving, roleId: eastRole });
    const holderSession = await createSession(server, eastRoleHolder);
    const holderKey = await createApiKey(server, eastRoleHolder);
    const eastKey = await createApiKey(server, eastAdmin);
    const root = await createSession(server, await createUser(server, { buId: server.rootId }));

    const preview = await injectAs(server.app, root, {
      method: 'POST',
      url: `/api/v1/business-units/${moving}/move-preview`,
      payload: { parentId: west },
    });
    expect(preview.statusCode).toBe(200);
    const principals = preview.json().principals as { kind: string; id: string; change: string }[];
    expect(principals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'user', id: eastAdmin.id, change: 'loses' }),
        expect.objectContaining({ kind: 'apikey', id: eastKey.id, change: 'loses' }),
        expect.objectContaining({ kind: 'user', id: westAdmin.id, change: 'gains' }),
      ]),
    );
    expect(principals.map((p) => p.id)).not.toContain(inside.id);

    const eastSession = await createSession(server, eastAdmin);
    const westSession = await createSession(server, westAdmin);
    const read = (credential: typeof eastSession) =>
      injectAs(server.app, credential, { method: 'GET', url: `/api/v1/users?buId=${moving}` });
    expect((await read(eastSession)).statusCode).toBe(200);
    expect((await read(westSession)).statusCode).toBe(404);
    expect((await read(holderSession)).statusCode).toBe(200);
    expect((await read(holderKey)).statusCode).toBe(200);
    const moved = await injectAs(server.app, root, {
      method: 'POST',
      url: `/api/v1/business-units/${moving}/move`,
      payload: { parentId: west },
    });
    expect(moved.statusCode).toBe(200);
    expect((await read(eastSession)).statusCode).toBe(404);
    expect((await read(eastKey)).statusCode).toBe(404);
    expect((await read(westSession)).statusCode).toBe(200);
    // Moved away from where its role is defined, the holder keeps its reach but loses the role's privileges.
    expect((await read(holderSession)).statusCode).toBe(403);
    expect((await read(holderKey)).statusCode).toBe(403);
  });
});
