import { beforeAll, describe, expect, it } from 'vitest';
import { hostNameOf, isHostName, normalizeHostName } from '../../src/tenancy/validation.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createRole,
  createSession,
  createUser,
  type IdentityTestServer,
  injectAs,
} from '../helpers/principals.ts';
import { makePng } from './images.ts';

const units = '/api/v1/business-units';

describe('sign-in host names', () => {
  it('accepts dotted DNS names and refuses ports, schemes, paths, IP addresses and bad labels', () => {
    expect(normalizeHostName(' Backup.Reseller.Example. ', 'signInHost')).toBe('backup.reseller.example');
    expect(isHostName('xn--bcher-kva.example')).toBe(true);
    for (const bad of [
      'localhost',
      'backup.example:8443',
      'https://backup.example',
      'backup.example/sign-in',
      '10.0.0.1',
      '-bad.example',
      'bad-.example',
      'a..example',
      'under_score.example',
      `${'a'.repeat(64)}.example`,
      `${'abcdefghi.'.repeat(26)}example`,
      '',
    ]) {
      expect(() => normalizeHostName(bad, 'signInHost'), bad).toThrow(/host name/);
    }
  });

  it('reads the host name of a Host header: port and trailing dot dropped, anything else unknown', () => {
    expect(hostNameOf('Backup.Reseller.Example:8443')).toBe('backup.reseller.example');
    expect(hostNameOf('backup.reseller.example.')).toBe('backup.reseller.example');
    expect(hostNameOf('127.0.0.1:8080')).toBeUndefined();
    expect(hostNameOf('[::1]:8080')).toBeUndefined();
    expect(hostNameOf(undefined)).toBeUndefined();
  });
});

describeEachDatabase('sign-in brand, own brand in /me, hasChildren', (factory) => {
  let server: IdentityTestServer;
  let admin: Credential;
  let reseller: Credential;
  const ids = { north: '', south: '', customer: '' };

  async function call(
    credential: Credential | null,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT',
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ) {
    return injectAs(server.app, credential, {
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
      ...(headers ? { headers } : {}),
    });
  }

  async function create(parentId: string, name: string): Promise<string> {
    const response = await call(admin, 'POST', units, { parentId, name });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id;
  }

  beforeAll(async () => {
    server = await buildIdentityServer(factory);
    admin = await createSession(server, await createUser(server, { buId: server.rootId, role: 'administrator' }));
    ids.north = await create(server.rootId, 'North');
    ids.south = await create(server.rootId, 'South');
    ids.customer = await create(ids.north, 'Customer');
    reseller = await createSession(server, await createUser(server, { buId: ids.north, role: 'administrator' }));
    const brand = await call(admin, 'PATCH', `${units}/${server.rootId}/brand`, {
      displayName: 'Operator Cloud',
      primaryColor: '#102030',
    });
    expect(brand.statusCode, brand.body).toBe(200);
  });

  it('lets only the operator assign sign-in addresses, so no reseller can claim another’s host', async () => {
    const claim = await call(reseller, 'PATCH', `${units}/${ids.customer}/brand`, { signInHost: 'console.example' });
    expect(claim.statusCode).toBe(403);
    expect(claim.json()).toMatchObject({ reason: 'sign_in_host_operator_only', field: 'signInHost' });
    const own = await call(reseller, 'GET', `${units}/${ids.north}/brand`);
    expect(own.json()).toMatchObject({ own: { signInHost: null }, signInHostEditable: false });
    expect((await call(admin, 'GET', `${units}/${ids.north}/brand`)).json().signInHostEditable).toBe(true);
  });

  it('sets a sign-in address on a unit: normalised, audited, shown as its own, never inherited', async () => {
    const set = await call(admin, 'PATCH', `${units}/${ids.north}/brand`, { signInHost: 'Backup.North.Example' });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().own).toMatchObject({ signInHost: 'backup.north.example' });
    const audit = await call(admin, 'GET', `/api/v1/audit?buId=${ids.north}&action=brand.update`);
    expect(audit.json().items[0]).toMatchObject({
      action: 'brand.update',
      before: { signInHost: null },
      after: { signInHost: 'backup.north.example' },
    });
    // The reseller still manages its brand fields, and may send its address unchanged.
    const fields = await call(reseller, 'PATCH', `${units}/${ids.north}/brand`, {
      displayName: 'North Backup',
      accentColor: '#AA5500',
      signInHost: 'backup.north.example',
    });
    expect(fields.statusCode, fields.body).toBe(200);
    expect(fields.json().own).toMatchObject({ signInHost: 'backup.north.example', displayName: 'North Backup' });
    const child = await call(reseller, 'GET', `${units}/${ids.customer}/brand`);
    expect(child.json().own.signInHost).toBeNull();
    expect(child.json().fields.displayName.value).toBe('North Backup');
  });

  it('refuses a bad address and one another unit uses, naming the field', async () => {
    const bad = await call(admin, 'PATCH', `${units}/${ids.south}/brand`, { signInHost: 'https://x.example' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'signInHost' });
    const taken = await call(admin, 'PATCH', `${units}/${ids.south}/brand`, { signInHost: 'BACKUP.north.example.' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ reason: 'sign_in_host_taken', field: 'signInHost' });
    expect((await call(admin, 'GET', `${units}/${ids.south}/brand`)).json().own.signInHost).toBeNull();
    // Setting the same address again on its own unit is no clash.
    const again = await call(admin, 'PATCH', `${units}/${ids.north}/brand`, { signInHost: 'backup.north.example' });
    expect(again.statusCode, again.body).toBe(200);
  });

  it('answers anyone with the brand of the unit reached through its sign-in address, and nothing else', async () => {
    const byQuery = await call(null, 'GET', '/api/v1/sign-in/brand?host=backup.north.example:8443');
    expect(byQuery.statusCode, byQuery.body).toBe(200);
    // Inherited fields resolve: the primary colour comes from the root.
    expect(byQuery.json()).toEqual({
      displayName: 'North Backup',
      primaryColor: '#102030',
      accentColor: '#aa5500',
      logoUrl: null,
    });
    expect(byQuery.headers['cache-control']).toMatch(/max-age/);

    const byHeader = await call(null, 'GET', '/api/v1/sign-in/brand', undefined, { host: 'BACKUP.NORTH.EXAMPLE' });
    expect(byHeader.json().displayName).toBe('North Backup');

    const etag = String(byQuery.headers.etag);
    const cached = await call(null, 'GET', '/api/v1/sign-in/brand?host=backup.north.example', undefined, {
      'if-none-match': etag,
    });
    expect(cached.statusCode).toBe(304);
  });

  it('answers unknown, malformed and missing hosts alike with the installation root’s brand (no 404)', async () => {
    const root = { displayName: 'Operator Cloud', primaryColor: '#102030', accentColor: '#f2a900', logoUrl: null };
    for (const url of [
      '/api/v1/sign-in/brand?host=nobody.example',
      '/api/v1/sign-in/brand?host=127.0.0.1:8080',
      `/api/v1/sign-in/brand?host=${encodeURIComponent('<script>')}`,
      '/api/v1/sign-in/brand',
    ]) {
      const response = await call(null, 'GET', url);
      expect(response.statusCode, url).toBe(200);
      expect(response.json(), url).toEqual(root);
    }
    const extra = await call(null, 'GET', '/api/v1/sign-in/brand?unit=x');
    expect(extra.statusCode).toBe(400);
  });

  it('serves the sign-in logo of the address, with a URL that changes with the logo', async () => {
    const none = await call(null, 'GET', '/api/v1/sign-in/brand/logo?host=backup.north.example');
    expect(none.statusCode).toBe(404);
    const png = makePng(4, 4, [10, 200, 10]);
    const upload = await injectAs(server.app, reseller, {
      method: 'PUT',
      url: `${units}/${ids.north}/brand/logo`,
      payload: png,
      headers: { 'content-type': 'image/png' },
    });
    expect(upload.statusCode, upload.body).toBe(200);
    const brand = (await call(null, 'GET', '/api/v1/sign-in/brand?host=backup.north.example')).json();
    expect(brand.logoUrl).toMatch(/^\/api\/v1\/sign-in\/brand\/logo\?host=backup\.north\.example&v=[0-9a-f]{16}$/);
    const logo = await call(null, 'GET', brand.logoUrl);
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(logo.rawPayload, png)).toBe(0);
    // The root has no logo: other hosts still get none.
    expect((await call(null, 'GET', '/api/v1/sign-in/brand?host=other.example')).json().logoUrl).toBeNull();
    expect((await call(null, 'GET', '/api/v1/sign-in/brand/logo?host=other.example')).statusCode).toBe(404);
  });

  it('frees the address when the unit removes it', async () => {
    await call(admin, 'PATCH', `${units}/${ids.south}/brand`, { signInHost: 'south.example' });
    const removed = await call(admin, 'PATCH', `${units}/${ids.south}/brand`, { signInHost: null });
    expect(removed.json().own.signInHost).toBeNull();
    expect((await call(null, 'GET', '/api/v1/sign-in/brand?host=south.example')).json().displayName).toBe(
      'Operator Cloud',
    );
    const reused = await call(admin, 'PATCH', `${units}/${ids.customer}/brand`, { signInHost: 'south.example' });
    expect(reused.statusCode, reused.body).toBe(200);
  });

  it('puts the effective brand of the user’s own unit in /me, also for a role without bu.read', async () => {
    const roleId = await createRole(server, null, ['usage.read']);
    const user = await createUser(server, { buId: ids.customer, roleId });
    const session = await createSession(server, user);
    expect((await call(session, 'GET', `${units}/${ids.customer}/brand`)).statusCode).toBe(403);
    const me = await call(session, 'GET', '/api/v1/me');
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().brand).toEqual({
      displayName: 'North Backup',
      primaryColor: '#102030',
      accentColor: '#aa5500',
      logoUrl: expect.stringMatching(/^\/api\/v1\/me\/brand\/logo\?v=[0-9a-f]{16}$/),
    });
    const logo = await call(session, 'GET', me.json().brand.logoUrl);
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
    // The administrator at the root sees the root's brand and has no logo.
    const rootMe = (await call(admin, 'GET', '/api/v1/me')).json();
    expect(rootMe.brand).toMatchObject({ displayName: 'Operator Cloud', logoUrl: null });
    expect((await call(admin, 'GET', '/api/v1/me/brand/logo')).statusCode).toBe(404);
    expect((await call(null, 'GET', '/api/v1/me/brand/logo')).statusCode).toBe(401);
  });

  it('says in child and subtree listings which units have children', async () => {
    const children = (await call(admin, 'GET', `${units}/${server.rootId}/children`)).json().items as {
      name: string;
      hasChildren: boolean;
    }[];
    expect(Object.fromEntries(children.map((u) => [u.name, u.hasChildren]))).toEqual({ North: true, South: false });
    const subtree = (await call(admin, 'GET', `${units}/${ids.north}/subtree`)).json().items as {
      name: string;
      hasChildren: boolean;
    }[];
    expect(Object.fromEntries(subtree.map((u) => [u.name, u.hasChildren]))).toEqual({ North: true, Customer: false });
  });
});
