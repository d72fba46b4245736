import { beforeAll, describe, expect, it } from 'vitest';
import { type Database, ValidationError } from '../../src/platform/index.ts';
import {
  type ChildUsageSort,
  childrenUsage,
  closeDays,
  epochDay,
  msPerDay,
  recordConsumption,
  subtreeUsageNow,
  subtreeUsageOnDay,
} from '../../src/usage/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  type Credential,
  createSession,
  createUnit,
  createUser,
  type IdentityTestServer,
  injectAs,
} from '../helpers/principals.ts';
import { treeBuilder } from './tree.ts';

const d1 = epochDay(2026, 3, 1);
/** A day before the test server's clock. */
const httpDay = epochDay(2025, 12, 5);
const noonOf = (day: number) => day * msPerDay + 12 * 3_600_000;

async function record(
  database: Database,
  id: string,
  buId: string,
  day: number,
  stored: number,
  extra: { clientActive?: boolean; transferred?: number; protected?: number } = {},
) {
  await recordConsumption(database, {
    dataSourceId: id,
    buId,
    day,
    protectedBytes: extra.protected ?? stored * 2,
    storedBytes: stored,
    transferredBytes: extra.transferred ?? 10,
    snapshotCount: 1,
    clientActive: extra.clientActive ?? true,
    asOf: noonOf(day),
  });
}

/** Every page of the children, walked with the cursor `limit` at a time. */
async function walk(database: Database, buId: string, sort: ChildUsageSort, limit: number, day: number | null = null) {
  const items: { buId: string; stored: bigint; clients: bigint }[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await childrenUsage(database, buId, { day, sort, limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(
      ...page.items.map((i) => ({ buId: i.buId, stored: i.figures.storedBytes, clients: i.figures.clientCount })),
    );
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error('the cursor did not end');
}

describeEachDatabase('usage of the children of a unit', (factory) => {
  it('lists each direct child with its subtree figures, largest first, in pages that cover every child once', async () => {
    const database = await factory.create();
    const tree = treeBuilder(database);
    const root = await tree.add(null, 'MSP');
    const a = await tree.add(root, 'A');
    const b = await tree.add(root, 'B');
    const c = await tree.add(root, 'C');
    const empty = await tree.add(root, 'Empty');
    const aChild = await tree.add(a, 'A child');
    const aGrandchild = await tree.add(aChild, 'A grandchild');
    await tree.add(null, 'Other root');
    await record(database, 'ds-a', a, d1, 100);
    await record(database, 'ds-a-grand', aGrandchild, d1, 250, { clientActive: false });
    await record(database, 'ds-b', b, d1, 300);
    await record(database, 'ds-b2', b, d1, 1, { clientActive: true });
    await record(database, 'ds-c', c, d1, 350);
    await record(database, 'ds-root', root, d1, 9_999);

    const first = await childrenUsage(database, root, { day: null, sort: 'storedBytes', limit: 50 });
    expect(first.nextCursor).toBeNull();
    // A holds its own 100 and its grandchild's 250; C the same 350: ties go in unit id order.
    const tied = [
      ['A', a],
      ['C', c],
    ].sort((x, y) => ((x[1] as string) < (y[1] as string) ? -1 : 1));
    expect(first.items.map((i) => [i.name, i.figures.storedBytes])).toEqual([
      [tied[0]?.[0], 350n],
      [tied[1]?.[0], 350n],
      ['B', 301n],
      ['Empty', 0n],
    ]);
    // Each child's figures are exactly what /usage gives for it.
    for (const item of first.items) expect(item.figures).toEqual(await subtreeUsageNow(database, item.buId));
    expect(first.items.find((i) => i.buId === empty)?.figures.asOf).toBeNull();

    const byClients = await childrenUsage(database, root, { day: null, sort: 'clientCount', limit: 1 });
    expect(byClients.items.map((i) => [i.buId, i.figures.clientCount])).toEqual([[b, 2n]]);
    expect(byClients.nextCursor).not.toBeNull();

    for (const sort of ['storedBytes', 'protectedBytes', 'transferredBytes', 'clientCount'] as const) {
      const all = await walk(database, root, sort, 50);
      for (const limit of [1, 2, 3]) expect(await walk(database, root, sort, limit)).toEqual(all);
      expect(new Set(all.map((i) => i.buId))).toEqual(new Set([a, b, c, empty]));
    }

    await expect(
      childrenUsage(database, root, {
        day: null,
        sort: 'storedBytes',
        limit: 1,
        cursor: byClients.nextCursor as string,
      }),
    ).rejects.toThrow(ValidationError);
    await expect(
      childrenUsage(database, root, { day: null, sort: 'storedBytes', limit: 1, cursor: 'not a cursor' }),
    ).rejects.toThrow(ValidationError);
    expect((await childrenUsage(database, aGrandchild, { day: null, sort: 'storedBytes', limit: 5 })).items).toEqual(
      [],
    );
  });

  it('gives a past day’s figures of each child, as /usage?date= does, after moves and for a late write', async () => {
    const database = await factory.create();
    const tree = treeBuilder(database);
    const root = await tree.add(null, 'MSP');
    const r1 = await tree.add(root, 'R1');
    const r2 = await tree.add(root, 'R2');
    const customer = await tree.add(r1, 'Customer');
    await record(database, 'ds-1', customer, d1, 100);
    await record(database, 'ds-2', r2, d1, 40);
    await closeDays(database, noonOf(d1 + 1));
    await tree.move(customer, r2);
    await closeDays(database, noonOf(d1 + 2));

    const dayOne = await childrenUsage(database, root, { day: d1, sort: 'storedBytes', limit: 10 });
    expect(dayOne.items.map((i) => [i.buId, i.figures.storedBytes])).toEqual([
      [r1, 100n],
      [r2, 40n],
    ]);
    const dayTwo = await childrenUsage(database, root, { day: d1 + 1, sort: 'storedBytes', limit: 10 });
    expect(dayTwo.items.map((i) => [i.buId, i.figures.storedBytes])).toEqual([
      [r2, 140n],
      [r1, 0n],
    ]);
    // A late sample for a closed day is read live (through the tree as it is now, as the
    // history does) until the day is closed again.
    await record(database, 'ds-3', r1, d1, 500);
    const late = await childrenUsage(database, root, { day: d1, sort: 'storedBytes', limit: 10 });
    expect(late.items.map((i) => [i.buId, i.figures.storedBytes])).toEqual([
      [r1, 500n],
      [r2, 140n],
    ]);
    for (const day of [d1, d1 + 1]) {
      for (const item of (await childrenUsage(database, root, { day, sort: 'storedBytes', limit: 10 })).items) {
        expect(item.figures).toEqual(await subtreeUsageOnDay(database, item.buId, day));
      }
    }
    // A day nothing was written for: every child with zeros.
    const before = await childrenUsage(database, root, { day: d1 - 10, sort: 'storedBytes', limit: 10 });
    expect(before.items.map((i) => i.figures.storedBytes)).toEqual([0n, 0n]);
  });

  it('pages and sorts by figures beyond 2^53 exactly', async () => {
    const database = await factory.create();
    const tree = treeBuilder(database);
    const root = await tree.add(null, 'MSP');
    const big = await tree.add(root, 'Big');
    const bigger = await tree.add(root, 'Bigger');
    const huge = Number.MAX_SAFE_INTEGER - 1;
    await record(database, 'ds-1', big, d1, huge, { protected: 0 });
    await record(database, 'ds-2', big, d1, huge, { protected: 0 });
    await record(database, 'ds-3', bigger, d1, huge, { protected: 0 });
    await record(database, 'ds-4', bigger, d1, huge, { protected: 0 });
    await record(database, 'ds-5', bigger, d1, 1, { protected: 0 });
    const pages = await walk(database, root, 'storedBytes', 1);
    expect(pages).toEqual([
      { buId: bigger, stored: 2n * BigInt(huge) + 1n, clients: 3n },
      { buId: big, stored: 2n * BigInt(huge), clients: 2n },
    ]);
  });

  describe('over HTTP', () => {
    let server: IdentityTestServer;
    let reseller: string;
    let customer: string;
    let admin: Credential;
    let endUser: Credential;
    let outsider: Credential;

    beforeAll(async () => {
      server = await buildIdentityServer(factory);
      reseller = await createUnit(server, server.rootId, { name: 'Reseller' });
      customer = await createUnit(server, reseller, { name: 'Customer', code: 'CUST' });
      const sibling = await createUnit(server, server.rootId, { name: 'Sibling' });
      admin = await createSession(server, await createUser(server, { buId: server.rootId, role: 'administrator' }));
      endUser = await createSession(server, await createUser(server, { buId: customer, role: 'end-user' }));
      outsider = await createSession(server, await createUser(server, { buId: sibling, role: 'administrator' }));
      const huge = Number.MAX_SAFE_INTEGER;
      await record(server.database, 'ds-http-1', customer, httpDay, huge, { protected: 0 });
      await record(server.database, 'ds-http-2', customer, httpDay, huge, { protected: 0 });
    });

    const get = (credential: Credential, url: string) => injectAs(server.app, credential, { method: 'GET', url });

    it('answers the children with exact figures, pages, and 404 for a unit out of reach', async () => {
      const response = await get(admin, `/api/v1/business-units/${server.rootId}/usage/children?limit=1`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as {
        buId: string;
        date: null;
        sort: string;
        items: { buId: string; name: string; figures: { storedBytes: number } }[];
        nextCursor: string | null;
      };
      expect(page).toMatchObject({ buId: server.rootId, date: null, sort: 'storedBytes' });
      expect(page.items.map((i) => i.name)).toEqual(['Reseller']);
      // Sent exactly: 2 × (2^53 − 1) is not a double, so read the raw text.
      expect(response.body).toContain(`"storedBytes":${2n * BigInt(Number.MAX_SAFE_INTEGER)}`);
      expect(page.nextCursor).not.toBeNull();
      const next = await get(
        admin,
        `/api/v1/business-units/${server.rootId}/usage/children?limit=1&cursor=${page.nextCursor}`,
      );
      expect((next.json() as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['Sibling']);

      const mine = await get(endUser, `/api/v1/business-units/${reseller}/usage/children`);
      expect(mine.statusCode).toBe(404);
      const own = await get(endUser, `/api/v1/business-units/${customer}/usage/children?sort=clientCount`);
      expect(own.statusCode, own.body).toBe(200);
      expect((own.json() as { items: unknown[] }).items).toEqual([]);
      expect((await get(outsider, `/api/v1/business-units/${reseller}/usage/children`)).statusCode).toBe(404);

      const day = new Date(httpDay * msPerDay).toISOString().slice(0, 10);
      const past = await get(admin, `/api/v1/business-units/${reseller}/usage/children?date=${day}`);
      expect(past.statusCode, past.body).toBe(200);
      expect(past.json()).toMatchObject({ date: day, items: [{ buId: customer, name: 'Customer', code: 'CUST' }] });
    });

    it('refuses bad sorts, limits, cursors and future dates with problem+json', async () => {
      const url = `/api/v1/business-units/${server.rootId}/usage/children`;
      for (const query of ['sort=name', 'limit=0', 'limit=501', 'cursor=xyz', 'date=2999-01-01', 'colour=red']) {
        const response = await get(admin, `${url}?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect((response.json() as { type: string }).type).toBe('urn:coffer:problem:validation_failed');
      }
    });
  });
});
