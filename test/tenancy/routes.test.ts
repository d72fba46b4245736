import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createApiKey,
  createSession,
  createUser,
  type IdentityTestServer,
  injectAs,
} from '../helpers/principals.ts';
import { makePng } from './images.ts';

const units = '/api/v1/business-units';

describeEachDatabase('tenancy routes', (factory) => {
  let server: IdentityTestServer;
  let admin: Credential;
  let readOnly: Credential;
  let resellerAdmin: Credential;
  let resellerKey: Credential;
  const ids: Record<string, string> = {};

  async function call(
    credential: Credential | null,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) {
    return injectAs(server.app, credential, {
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }

  async function create(parentId: string, name: string, code?: string): Promise<string> {
    const response = await call(admin, 'POST', units, { parentId, name, ...(code ? { code } : {}) });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id;
  }

  beforeAll(async () => {
    server = await buildIdentityServer(factory);
    const rootAdmin = await createUser(server, { buId: server.rootId, role: 'administrator' });
    admin = await createSession(server, rootAdmin);
    ids.resellerA = await create(server.rootId, 'Reseller A', 'RA');
    ids.resellerB = await create(server.rootId, 'Reseller B', 'RB');
    ids.customer = await create(ids.resellerA, 'Customer', 'C1');
    ids.dept = await create(ids.customer, 'Dept');
    const viewer = await createUser(server, { buId: ids.resellerA, role: 'read-only' });
    readOnly = await createSession(server, viewer);
    const resellerUser = await createUser(server, { buId: ids.resellerA, role: 'administrator' });
    resellerAdmin = await createSession(server, resellerUser);
    resellerKey = await createApiKey(server, resellerUser);
  });

  describe('tree', () => {
    it('creates, reads, renames and lists units', async () => {
      const unit = await call(admin, 'GET', `${units}/${ids.customer}`);
      expect(unit.statusCode).toBe(200);
      expect(unit.json()).toMatchObject({
        id: ids.customer,
        parentId: ids.resellerA,
        name: 'Customer',
        code: 'C1',
        depth: 2,
      });

      const renamed = await call(admin, 'PATCH', `${units}/${ids.dept}`, { name: 'Department', code: 'D' });
      expect(renamed.json()).toMatchObject({ name: 'Department', code: 'D' });

      const children = await call(admin, 'GET', `${units}/${server.rootId}/children?limit=1`);
      expect(children.json().items.map((u: { name: string }) => u.name)).toEqual(['Reseller A']);
      const next = await call(
        admin,
        'GET',
        `${units}/${server.rootId}/children?limit=1&cursor=${children.json().nextCursor}`,
      );
      expect(next.json()).toMatchObject({ items: [{ name: 'Reseller B' }], nextCursor: null });

      const subtree = await call(resellerKey, 'GET', `${units}/${ids.resellerA}/subtree?name=dep&includeTotal=true`);
      expect(subtree.statusCode).toBe(200);
      expect(subtree.json()).toMatchObject({
        items: [{ name: 'Department', relativeDepth: 2 }],
        total: 1,
        nextCursor: null,
      });

      const path = await call(resellerAdmin, 'GET', `${units}/${ids.dept}/path`);
      expect(path.json().items.map((u: { name: string }) => u.name)).toEqual(['Reseller A', 'Customer', 'Department']);
      expect(path.json().items[0]).toMatchObject({ parentId: null, depth: 0 });
    });

    it('answers 404 outside the caller’s subtree and 403 without the privilege', async () => {
      expect((await call(resellerAdmin, 'GET', `${units}/${ids.resellerB}`)).statusCode).toBe(404);
      expect((await call(resellerKey, 'GET', `${units}/${server.rootId}/path`)).statusCode).toBe(404);
      const forbidden = await call(readOnly, 'POST', units, { parentId: ids.customer, name: 'X' });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await call(null, 'GET', `${units}/${ids.customer}`)).statusCode).toBe(401);
    });

    it('refuses bad input with problem+json saying what is wrong', async () => {
      const unknownField = await call(admin, 'POST', units, { parentId: ids.customer, name: 'X', colour: 'red' });
      expect(unknownField.statusCode).toBe(400);
      expect(unknownField.json().detail).toMatch(/colour/);
      const wrongType = await call(admin, 'POST', units, { parentId: ids.customer, name: 42 });
      expect(wrongType.statusCode).toBe(400);
      const control = await call(admin, 'POST', units, { parentId: ids.customer, name: 'bad\u0001name' });
      expect(control.json()).toMatchObject({ status: 400, detail: 'name must not contain control characters' });
      const badCode = await call(admin, 'POST', units, { parentId: ids.customer, name: 'X', code: 'no spaces' });
      expect(badCode.statusCode).toBe(400);
      const malformed = await injectAs(server.app, admin, {
        method: 'POST',
        url: units,
        headers: { 'content-type': 'application/json' },
        payload: '{"parentId": ',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().type).toBe('urn:coffer:problem:malformed_request');
      const clash = await call(admin, 'POST', units, { parentId: ids.resellerA, name: 'Dup', code: 'c1' });
      expect(clash.json()).toMatchObject({ status: 409, reason: 'code_taken' });
      const badLimit = await call(admin, 'GET', `${units}/${ids.resellerA}/children?limit=0`);
      expect(badLimit.statusCode).toBe(400);
    });

    it('previews and performs a move, refusing cycles; deletes leaves only', async () => {
      const cycle = await call(admin, 'POST', `${units}/${ids.resellerA}/move`, { parentId: ids.dept });
      expect(cycle.json()).toMatchObject({ status: 400, reason: 'move_cycle' });

      const preview = await call(admin, 'POST', `${units}/${ids.customer}/move-preview`, { parentId: ids.resellerB });
      expect(preview.statusCode, preview.body).toBe(200);
      const body = preview.json();
      expect(body).toMatchObject({ unitsMoving: 2, fromParentId: ids.resellerA, toParentId: ids.resellerB });
      // The reseller's own users lose reach of the customer.
      const losing = body.principals.filter(
        (p: { change: string; kind: string }) => p.change === 'loses' && p.kind === 'user',
      );
      expect(losing.map((p: { scopeBuId: string }) => p.scopeBuId)).toEqual([ids.resellerA, ids.resellerA]);

      const moved = await call(admin, 'POST', `${units}/${ids.customer}/move`, { parentId: ids.resellerB });
      expect(moved.json()).toMatchObject({ movedUnits: 2, unit: { parentId: ids.resellerB } });
      expect((await call(resellerAdmin, 'GET', `${units}/${ids.dept}`)).statusCode).toBe(404);
      await call(admin, 'POST', `${units}/${ids.customer}/move`, { parentId: ids.resellerA });
      expect((await call(resellerAdmin, 'GET', `${units}/${ids.dept}`)).statusCode).toBe(200);

      const ownTop = await call(resellerAdmin, 'POST', `${units}/${ids.resellerA}/move`, { parentId: ids.customer });
      expect(ownTop.statusCode).toBe(403);

      expect((await call(admin, 'DELETE', `${units}/${ids.customer}`)).json()).toMatchObject({
        reason: 'has_children',
      });
      const leaf = await create(ids.dept ?? '', 'Leaf');
      const deleted = await call(admin, 'DELETE', `${units}/${leaf}`);
      expect(deleted.statusCode).toBe(204);
      expect((await call(admin, 'GET', `${units}/${leaf}`)).statusCode).toBe(404);
    });
  });

  describe('settings', () => {
    it('lists definitions, sets, reads, refuses and unsets', async () => {
      const definitions = await call(readOnly, 'GET', '/api/v1/settings/definitions');
      expect(definitions.json().items.map((d: { key: string }) => d.key)).toContain('quota.storage');

      const set = await call(admin, 'PUT', `${units}/${ids.resellerA}/settings/quota.storage`, {
        value: { softBytes: 100, hardBytes: 200 },
        locked: true,
      });
      expect(set.statusCode, set.body).toBe(200);
      const read = await call(readOnly, 'GET', `${units}/${ids.dept}/settings/quota.storage`);
      expect(read.json()).toMatchObject({
        value: { softBytes: 100, hardBytes: 200 },
        locked: true,
        source: { kind: 'unit', buId: ids.resellerA },
      });
      const all = await call(readOnly, 'GET', `${units}/${ids.dept}/settings`);
      expect(all.json().items.length).toBeGreaterThanOrEqual(6);

      const overridden = await call(resellerAdmin, 'PUT', `${units}/${ids.customer}/settings/quota.storage`, {
        value: null,
      });
      expect(overridden.json()).toMatchObject({ status: 409, reason: 'setting_locked' });
      const softOverHard = await call(admin, 'PUT', `${units}/${ids.customer}/settings/quota.storage`, {
        value: { softBytes: 300, hardBytes: 200 },
      });
      expect(softOverHard.json()).toMatchObject({
        status: 400,
        detail: expect.stringMatching(/softBytes must not exceed hardBytes/),
      });
      const badTemplate = await call(admin, 'PUT', `${units}/${ids.customer}/settings/datasource.namingRule`, {
        value: '{nope}',
      });
      expect(badTemplate.json()).toMatchObject({
        status: 400,
        detail: expect.stringMatching(/unknown placeholder \{nope\}/),
      });
      const unknown = await call(admin, 'PUT', `${units}/${ids.customer}/settings/no.such`, { value: 1 });
      expect(unknown.statusCode).toBe(404);
      const extra = await call(admin, 'PUT', `${units}/${ids.customer}/settings/mfa.required`, {
        value: true,
        extra: 1,
      });
      expect(extra.statusCode).toBe(400);
      expect(
        (await call(readOnly, 'PUT', `${units}/${ids.customer}/settings/mfa.required`, { value: true })).statusCode,
      ).toBe(403);

      const unset = await call(admin, 'DELETE', `${units}/${ids.resellerA}/settings/quota.storage`);
      expect(unset.json()).toMatchObject({ value: null, source: { kind: 'default' }, own: null });
    });
  });

  describe('branding', () => {
    it('changes the brand and serves the effective logo with its type', async () => {
      const patched = await call(admin, 'PATCH', `${units}/${ids.resellerA}/brand`, {
        displayName: 'A Backup',
        accentColor: '#00FF00',
      });
      expect(patched.statusCode, patched.body).toBe(200);
      const brand = await call(resellerKey, 'GET', `${units}/${ids.dept}/brand`);
      expect(brand.json().fields.displayName).toEqual({
        value: 'A Backup',
        source: { kind: 'unit', buId: ids.resellerA },
      });
      expect((await call(admin, 'PATCH', `${units}/${ids.resellerA}/brand`, { accentColor: 'green' })).statusCode).toBe(
        400,
      );

      expect((await call(admin, 'GET', `${units}/${ids.dept}/brand/logo`)).statusCode).toBe(404);
      const png = makePng(16, 16);
      const upload = await injectAs(server.app, admin, {
        method: 'PUT',
        url: `${units}/${ids.resellerA}/brand/logo`,
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
      expect(upload.statusCode, upload.body).toBe(200);
      const logo = await call(readOnly, 'GET', `${units}/${ids.dept}/brand/logo`);
      expect(logo.statusCode).toBe(200);
      expect(logo.headers['content-type']).toBe('image/png');
      expect(logo.rawPayload.equals(png)).toBe(true);
      const cached = await injectAs(server.app, readOnly, {
        method: 'GET',
        url: `${units}/${ids.dept}/brand/logo`,
        headers: { 'if-none-match': String(logo.headers.etag) },
      });
      expect(cached.statusCode).toBe(304);
    });

    it('refuses unsafe, mistyped and oversized logos', async () => {
      const upload = (type: string, payload: Buffer | string) =>
        injectAs(server.app, admin, {
          method: 'PUT',
          url: `${units}/${ids.customer}/brand/logo`,
          headers: { 'content-type': type },
          payload,
        });
      const svg = await upload(
        'image/svg+xml',
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      );
      expect(svg.json()).toMatchObject({ status: 415, detail: expect.stringMatching(/<script> is not allowed/) });
      expect((await upload('image/gif', Buffer.from('GIF89a'))).statusCode).toBe(415);
      expect((await upload('image/jpeg', makePng(4, 4))).statusCode).toBe(415);
      const oversized = await upload('image/png', Buffer.concat([makePng(4, 4), Buffer.alloc(600 * 1024)]));
      expect(oversized.statusCode).toBe(413);
      expect((await call(admin, 'GET', `${units}/${ids.customer}/brand`)).json().own.logo).toBe(false);
    });
  });

  it('documents every tenancy route in OpenAPI with its privilege', async () => {
    const document = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const move = document.paths['/api/v1/business-units/{id}/move'].post;
    expect(move['x-coffer-privilege']).toBe('bu.move');
    expect(document.paths['/api/v1/business-units/{id}/settings/{key}'].put['x-coffer-privilege']).toBe(
      'settings.update',
    );
  });
});
