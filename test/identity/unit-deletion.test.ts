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

describeEachDatabase('deleting a unit with principals', (factory) => {
  it('is refused while users, unrevoked keys or custom roles belong to the unit', async () => {
    const server = await buildIdentityServer(factory);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const unit = await createUnit(server, server.rootId);
    const owner = await createUser(server, { buId: server.rootId });
    const key = await createApiKey(server, owner, { buId: unit });
    const user = await createUser(server, { buId: unit });
    const role = await createRole(server, unit, ['bu.read']);
    const remove = () => injectAs(server.app, admin, { method: 'DELETE', url: `/api/v1/business-units/${unit}` });

    const refused = await remove();
    expect(refused.statusCode).toBe(409);
    expect(JSON.stringify(refused.json())).toContain(
      '1 user(s), 1 API key(s), 1 custom role(s) still belong to this unit',
    );
    await injectAs(server.app, admin, { method: 'DELETE', url: `/api/v1/users/${user.id}` });
    await injectAs(server.app, admin, { method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
    await injectAs(server.app, admin, { method: 'DELETE', url: `/api/v1/roles/${role}` });
    // The revoked key no longer pins the unit.
    expect((await remove()).statusCode).toBe(204);
  });
});
