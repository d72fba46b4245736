import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/index.ts';
import { updateBrand } from '../../src/tenancy/branding.ts';
import { type MoveImpactProvider, type ReachChange, reachChangeScopes, tenancyDb } from '../../src/tenancy/index.ts';
import { moveUnit, previewMove } from '../../src/tenancy/move-service.ts';
import { createUnit, getUnit, getUnitPath, listUnitSubtree, MAX_DEPTH } from '../../src/tenancy/service.ts';
import { effectiveSetting, setSetting } from '../../src/tenancy/settings-service.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { auditEntries, buildTree, setUp, snapshot, testContext } from './helpers.ts';

describeEachDatabase('business-unit moves', (factory) => {
  let database: TestDatabase;
  let rootId: string;
  let admin: ReturnType<typeof testContext>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    database = await factory.create();
    ({ rootId, admin } = await setUp(database));
    ids = await buildTree(admin, rootId, [
      {
        name: 'Reseller A',
        children: [
          {
            name: 'Customer A1',
            code: 'C1',
            children: [{ name: 'Dept A1a', children: [{ name: 'Servers A1a' }] }, { name: 'Dept A1b' }],
          },
          { name: 'Customer A2', code: 'C2' },
        ],
      },
      { name: 'Reseller B', children: [{ name: 'Customer B1', code: 'C1' }, { name: 'Customer B2' }] },
    ]);
  });

  async function expectRefused(action: () => Promise<unknown>, error: object) {
    const before = await snapshot(database);
    await expect(action()).rejects.toMatchObject(error);
    expect(await snapshot(database)).toBe(before);
  }

  it('moves a whole subtree atomically, updating depths, paths and reach, and audits it', async () => {
    const result = await moveUnit(admin, ids['Dept A1a']!, ids['Customer B2']!);
    expect(result.movedUnits).toBe(2);
    expect(result.unit).toMatchObject({ parentId: ids['Customer B2'], depth: 3 });
    const path = await getUnitPath(admin, ids['Servers A1a']!);
    expect(path.map((u) => u.name)).toEqual(['Provider', 'Reseller B', 'Customer B2', 'Dept A1a', 'Servers A1a']);
    expect((await getUnit(admin, ids['Servers A1a']!)).depth).toBe(4);

    const resellerA = testContext(database, ids['Reseller A']!);
    const resellerB = testContext(database, ids['Reseller B']!);
    await expect(getUnit(resellerA, ids['Servers A1a']!)).rejects.toMatchObject({ code: 'not_found' });
    expect((await getUnit(resellerB, ids['Servers A1a']!)).name).toBe('Servers A1a');
    const subtreeA = await listUnitSubtree(resellerA, ids['Reseller A']!, { includeTotal: true });
    expect(subtreeA.total).toBe(4);

    expect((await auditEntries(database)).at(-1)).toMatchObject({
      action: 'bu.move',
      bu_id: ids['Dept A1a'],
      before: { parentId: ids['Customer A1'] },
      after: { parentId: ids['Customer B2'], unitsMoved: 2 },
    });
    await moveUnit(admin, ids['Dept A1a']!, ids['Customer A1']!);
  });

  it('refuses a move under the unit itself or its descendant, writing nothing', async () => {
    await expectRefused(() => moveUnit(admin, ids['Customer A1']!, ids['Customer A1']!), {
      code: 'validation_failed',
      details: { reason: 'move_cycle' },
    });
    await expectRefused(() => moveUnit(admin, ids['Customer A1']!, ids['Servers A1a']!), {
      details: { reason: 'move_cycle' },
    });
    await expectRefused(() => previewMove(admin, ids['Reseller A']!, ids['Dept A1b']!), {
      details: { reason: 'move_cycle' },
    });
  });

  it('refuses moving the root or the caller’s own top unit', async () => {
    await expectRefused(() => moveUnit(admin, rootId, ids['Reseller A']!), { details: { reason: 'move_root' } });
    const resellerA = testContext(database, ids['Reseller A']!);
    await expectRefused(() => moveUnit(resellerA, ids['Reseller A']!, ids['Customer A2']!), {
      code: 'forbidden',
      details: { reason: 'move_scope_root' },
    });
  });

  it('needs reach of the unit, its old parent and its new parent', async () => {
    const customerA1 = testContext(database, ids['Customer A1']!);
    // Inside its subtree: fine.
    await moveUnit(customerA1, ids['Servers A1a']!, ids['Dept A1b']!);
    await moveUnit(customerA1, ids['Servers A1a']!, ids['Dept A1a']!);
    // New parent outside its reach.
    await expectRefused(() => moveUnit(customerA1, ids['Dept A1a']!, ids['Customer A2']!), { code: 'not_found' });
    const resellerA = testContext(database, ids['Reseller A']!);
    await expectRefused(() => moveUnit(resellerA, ids['Customer A2']!, ids['Reseller B']!), { code: 'not_found' });
    await expectRefused(() => moveUnit(resellerA, ids['Customer B1']!, ids['Customer A2']!), { code: 'not_found' });
    const noMove = testContext(database, rootId, { privileges: ['bu.read'] });
    await expectRefused(() => moveUnit(noMove, ids['Customer A2']!, ids['Reseller B']!), { code: 'forbidden' });
  });

  it('refuses a move that would clash with a sibling code at the new parent', async () => {
    await expectRefused(() => moveUnit(admin, ids['Customer A1']!, ids['Reseller B']!), {
      code: 'conflict',
      details: { reason: 'code_taken' },
    });
  });

  it('treats a move under the current parent as a no-op', async () => {
    const before = await snapshot(database);
    const result = await moveUnit(admin, ids['Customer A2']!, ids['Reseller A']!);
    expect(result.movedUnits).toBe(0);
    expect(await snapshot(database)).toBe(before);
  });

  it(`refuses a move that would nest units deeper than ${MAX_DEPTH + 1} levels`, async () => {
    let parentId = ids['Customer B2']!;
    for (let level = 3; level <= MAX_DEPTH - 2; level++) {
      parentId = (await createUnit(admin, { parentId, name: `Level ${level}` })).id;
    }
    await expectRefused(() => moveUnit(admin, ids['Customer A1']!, parentId), { details: { reason: 'depth_limit' } });
  });

  describe('preview', () => {
    it('lists units moving, settings and brand fields that change, and principals through the provider', async () => {
      await setSetting(admin, ids['Reseller A']!, 'session.lifetimeMinutes', { value: 60 });
      await setSetting(admin, ids['Reseller B']!, 'session.lifetimeMinutes', { value: 240 });
      await setSetting(admin, ids['Dept A1b']!, 'session.lifetimeMinutes', { value: 30 });
      await setSetting(admin, ids['Reseller B']!, 'mfa.required', { value: true, locked: true });
      await setSetting(admin, ids['Dept A1a']!, 'mfa.required', { value: false });
      await updateBrand(admin, ids['Reseller B']!, { displayName: 'B Backup', primaryColor: '#112233' });
      await updateBrand(admin, ids['Customer A1']!, { primaryColor: '#445566' });

      const calls: unknown[] = [];
      const provider: MoveImpactProvider = {
        async principalsWhoseReachChanges(db: Database, movedRootId, oldParentId, newParentId) {
          calls.push([movedRootId, oldParentId, newParentId]);
          const scopes = await reachChangeScopes(tenancyDb(db), oldParentId, newParentId);
          return [
            ...scopes.losing.map(
              (id): ReachChange => ({ kind: 'user', id: `u-${id}`, name: 'x', scopeBuId: id, change: 'loses' }),
            ),
            ...scopes.gaining.map(
              (id): ReachChange => ({ kind: 'apikey', id: `k-${id}`, name: 'y', scopeBuId: id, change: 'gains' }),
            ),
          ];
        },
      };
      const before = await snapshot(database);
      const preview = await previewMove(admin, ids['Customer A1']!, ids['Customer B2']!, provider);
      expect(await snapshot(database)).toBe(before);

      expect(preview).toMatchObject({
        unitId: ids['Customer A1'],
        fromParentId: ids['Reseller A'],
        toParentId: ids['Customer B2'],
        unitsMoving: 4,
      });
      const session = preview.settings.find((s) => s.key === 'session.lifetimeMinutes');
      // Dept A1b sets its own value; the other three units inherit from above the moved unit.
      expect(session).toEqual({
        key: 'session.lifetimeMinutes',
        unitsAffected: 3,
        before: { value: 60, source: { kind: 'unit', buId: ids['Reseller A'] } },
        after: { value: 240, source: { kind: 'unit', buId: ids['Reseller B'] } },
      });
      // A lock above the new place overrides Dept A1a's own value too: all four change.
      const mfa = preview.settings.find((s) => s.key === 'mfa.required');
      expect(mfa).toMatchObject({
        unitsAffected: 4,
        before: { value: false, source: { kind: 'default' } },
        after: { value: true },
      });
      expect(preview.settings.map((s) => s.key).sort()).toEqual(['mfa.required', 'session.lifetimeMinutes']);
      // Customer A1 keeps its own colour; the display name changes.
      expect(preview.brand).toEqual([
        {
          field: 'displayName',
          before: { value: 'Coffer', source: { kind: 'default' } },
          after: { value: 'B Backup', source: { kind: 'unit', buId: ids['Reseller B'] } },
        },
      ]);
      expect(calls).toEqual([[ids['Customer A1'], ids['Reseller A'], ids['Customer B2']]]);
      expect(preview.principals?.map((p) => `${p.change}:${p.scopeBuId}`).sort()).toEqual(
        [`loses:${ids['Reseller A']}`, `gains:${ids['Reseller B']}`, `gains:${ids['Customer B2']}`].sort(),
      );

      // After the move the effective values are what the preview said.
      await moveUnit(admin, ids['Customer A1']!, ids['Customer B2']!);
      expect((await effectiveSetting(database, ids['Servers A1a']!, 'mfa.required')).value).toBe(true);
      expect((await effectiveSetting(database, ids['Dept A1b']!, 'session.lifetimeMinutes')).value).toBe(30);
      expect((await effectiveSetting(database, ids['Dept A1a']!, 'session.lifetimeMinutes')).value).toBe(240);
      await moveUnit(admin, ids['Customer A1']!, ids['Reseller A']!);
    });

    it('hides sources above the caller’s scope and reports principals as null without a provider', async () => {
      await setSetting(admin, rootId, 'retention.earliestDeletionDays', { value: 7 });
      await setSetting(admin, ids['Customer A2']!, 'retention.earliestDeletionDays', { value: 30 });
      const resellerA = testContext(database, ids['Reseller A']!);
      const preview = await previewMove(resellerA, ids['Dept A1b']!, ids['Customer A2']!);
      expect(preview.principals).toBeNull();
      expect(preview.settings.find((s) => s.key === 'retention.earliestDeletionDays')).toEqual({
        key: 'retention.earliestDeletionDays',
        unitsAffected: 1,
        before: { value: 7, source: { kind: 'above_scope' } },
        after: { value: 30, source: { kind: 'unit', buId: ids['Customer A2'] } },
      });
    });
  });
});
