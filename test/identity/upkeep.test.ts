import { expect, it } from 'vitest';
import { identityDb } from '../../src/identity/db.ts';
import { purgeExpiredCredentials } from '../../src/identity/upkeep.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer, createSession, createUser } from '../helpers/principals.ts';

describeEachDatabase('identity upkeep', (factory) => {
  it('purges ended sessions and forgotten failure counts, keeping live ones', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    await createSession(server, user);
    await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: user.email, password: 'x' },
    });
    server.clock.advance(60 * 60_000);
    const live = await createSession(server, user);
    expect(await purgeExpiredCredentials(server.database, server.clock.now())).toEqual({
      sessions: 0,
      challenges: 0,
      throttles: 0,
    });
    server.clock.advance(61 * 60_000);
    // The first session is idle for 121 minutes, the second for 61; the failure counts (account
    // and address) are two hours old.
    expect(await purgeExpiredCredentials(server.database, server.clock.now())).toEqual({
      sessions: 1,
      challenges: 0,
      throttles: 2,
    });
    const left = await identityDb(server.database).selectFrom('sessions').select('id').execute();
    expect(left.map((r) => r.id)).toEqual([live.id]);
  });
});
