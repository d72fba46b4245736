import { beforeAll, describe, expect, it } from 'vitest';
import { registerDeletionGuard } from '../../src/tenancy/index.ts';
import {
  createUnit,
  deleteUnit,
  getUnit,
  getUnitPath,
  listUnitChildren,
  listUnitSubtree,
  MAX_DEPTH,
  updateUnitDetails,
} from '../../src/tenancy/service.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { auditEntries, buildTree, setUp, snapshot, testContext } from './helpers.ts';

const blockedUnitIds = new Set<string>();
registerDeletionGuard('test-resources', async (_trx, buId) =>
  blockedUnitIds.has(buId) ? '2 test resources are still assigned' : null,
);

describeEachDatabase('business-unit tree', (factory) => {
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
        code: 'RSA',
        children: [
          { name: 'Customer A1', code: 'A1', children: [{ name: 'Region A1-north' }, { name: 'Region A1-south' }] },
          { name: 'Customer A2', code: 'A2' },
        ],
      },
      { name: 'Reseller B', code: 'RSB', children: [{ name: 'Customer B1', code: 'A1' }] },
    ]);
  });

  async function expectNothingWritten(action: () => Promise<unknown>, error: RegExp | object) {
    const before = await snapshot(database);
    if (error instanceof RegExp) await expect(action()).rejects.toThrow(error);
    else await expect(action()).rejects.toMatchObject(error);
    expect(await snapshot(database)).toBe(before);
  }

  describe('create', () => {
    it('creates a unit with closure rows to every ancestor and an audit entry', async () => {
      const unit = await createUnit(admin, { parentId: ids['Customer A2']!, name: '  Servers  ', code: 'srv' });
      expect(unit).toMatchObject({ parentId: ids['Customer A2'], name: 'Servers', code: 'srv', depth: 3 });
      const path = await getUnitPath(admin, unit.id);
      expect(path.map((u) => u.name)).toEqual(['Provider', 'Reseller A', 'Customer A2', 'Servers']);
      const last = (await auditEntries(database)).at(-1);
      expect(last).toMatchObject({ action: 'bu.create', bu_id: unit.id, resource_id: unit.id });
    });

    it('refuses bad names and codes and writes nothing', async () => {
      const parentId = ids['Reseller B']!;
      for (const name of ['', '   ', 'a'.repeat(201), 'bad\u0000name', 'tab\there', 'new\nline', 'bidi\u202Eevil']) {
        await expectNothingWritten(() => createUnit(admin, { parentId, name }), { code: 'validation_failed' });
      }
      for (const code of ['', 'has space', 'x'.repeat(33), 'dot.ted', 'ünï']) {
        await expectNothingWritten(() => createUnit(admin, { parentId, name: 'Ok', code }), {
          code: 'validation_failed',
        });
      }
    });

    it('accepts a name of exactly 200 characters, counted in characters', async () => {
      const unit = await createUnit(admin, { parentId: ids['Reseller B']!, name: '€'.repeat(200) });
      expect(unit.name).toHaveLength(200);
      await deleteUnit(admin, unit.id);
    });

    it('refuses a code already used by a sibling, ignoring case, and writes nothing', async () => {
      await expectNothingWritten(() => createUnit(admin, { parentId: ids['Reseller A']!, name: 'Dup', code: 'a1' }), {
        code: 'conflict',
        details: { reason: 'code_taken' },
      });
    });

    it('allows the same code under different parents', async () => {
      expect((await getUnit(admin, ids['Customer B1']!)).code).toBe('A1');
    });

    it('refuses a parent outside the caller’s subtree as not found, and a missing privilege as forbidden', async () => {
      const resellerA = testContext(database, ids['Reseller A']!);
      await expectNothingWritten(() => createUnit(resellerA, { parentId: ids['Reseller B']!, name: 'X' }), {
        code: 'not_found',
      });
      const readOnly = testContext(database, ids['Reseller A']!, { privileges: ['bu.read'] });
      await expectNothingWritten(() => createUnit(readOnly, { parentId: ids['Customer A1']!, name: 'X' }), {
        code: 'forbidden',
      });
    });

    it(`refuses to nest deeper than ${MAX_DEPTH + 1} levels`, async () => {
      let parentId = rootId;
      const created: string[] = [];
      for (let level = 1; level <= MAX_DEPTH; level++) {
        parentId = (await createUnit(admin, { parentId, name: `Level ${level}` })).id;
        created.push(parentId);
      }
      await expectNothingWritten(() => createUnit(admin, { parentId, name: 'Too deep' }), {
        details: { reason: 'depth_limit' },
      });
      for (const id of created.reverse()) await deleteUnit(admin, id);
    });
  });

  describe('update', () => {
    it('renames and changes the code, auditing before and after', async () => {
      const unit = await updateUnitDetails(admin, ids['Customer A2']!, { name: 'Customer A2 Ltd', code: 'A2X' });
      expect(unit).toMatchObject({ name: 'Customer A2 Ltd', code: 'A2X' });
      const last = (await auditEntries(database)).at(-1);
      expect(last).toMatchObject({
        action: 'bu.update',
        before: { name: 'Customer A2', code: 'A2' },
        after: { name: 'Customer A2 Ltd', code: 'A2X' },
      });
      await updateUnitDetails(admin, ids['Customer A2']!, { name: 'Customer A2', code: 'A2' });
    });

    it('removes a code with null', async () => {
      const unit = await updateUnitDetails(admin, ids['Region A1-north']!, { code: 'N' });
      expect(unit.code).toBe('N');
      expect((await updateUnitDetails(admin, ids['Region A1-north']!, { code: null })).code).toBeNull();
    });

    it('refuses a sibling’s code and bad names, writing nothing', async () => {
      await expectNothingWritten(() => updateUnitDetails(admin, ids['Customer A2']!, { code: 'A1' }), {
        details: { reason: 'code_taken' },
      });
      await expectNothingWritten(() => updateUnitDetails(admin, ids['Customer A2']!, { name: '\u0007' }), {
        code: 'validation_failed',
      });
    });

    it('writes no audit entry when nothing changes', async () => {
      const before = await snapshot(database);
      await updateUnitDetails(admin, ids['Customer A2']!, { name: 'Customer A2' });
      expect(await snapshot(database)).toBe(before);
    });
  });

  describe('reading', () => {
    it('pages children in name order', async () => {
      const parent = await createUnit(admin, { parentId: rootId, name: 'Paging' });
      const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
      for (const name of names) await createUnit(admin, { parentId: parent.id, name });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listUnitChildren(admin, parent.id, { limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((u) => u.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...names].sort());
    });

    it('pages a subtree with filters and a total', async () => {
      const all = await listUnitSubtree(admin, ids['Reseller A']!, { limit: 500, includeTotal: true });
      expect(all.items.map((u) => u.name).sort()).toEqual(
        ['Reseller A', 'Customer A1', 'Customer A2', 'Region A1-north', 'Region A1-south', 'Servers'].sort(),
      );
      expect(all.total).toBe(6);
      expect(all.items.find((u) => u.name === 'Region A1-north')?.relativeDepth).toBe(2);

      const pages: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listUnitSubtree(admin, ids['Reseller A']!, { limit: 4, ...(cursor ? { cursor } : {}) });
        pages.push(...page.items.map((u) => u.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(pages).toEqual(all.items.map((u) => u.id));

      const regions = await listUnitSubtree(admin, ids['Reseller A']!, {
        nameContains: 'REGION a1',
        includeTotal: true,
      });
      expect(regions.items.map((u) => u.name).sort()).toEqual(['Region A1-north', 'Region A1-south']);
      expect(regions.total).toBe(2);
      const byCode = await listUnitSubtree(admin, rootId, { code: 'a1' });
      expect(byCode.items.map((u) => u.name).sort()).toEqual(['Customer A1', 'Customer B1']);
      const shallow = await listUnitSubtree(admin, ids['Reseller A']!, { maxDepth: 1 });
      expect(shallow.items.map((u) => u.name).sort()).toEqual(['Customer A1', 'Customer A2', 'Reseller A']);
      const wildcard = await listUnitSubtree(admin, rootId, { nameContains: '%' });
      expect(wildcard.items).toEqual([]);
    });

    it('refuses a malformed cursor', async () => {
      await expect(listUnitChildren(admin, rootId, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'validation_failed',
      });
    });

    it('shows a principal its subtree only: path stops at its scope, parent and depth are relative', async () => {
      const customer = testContext(database, ids['Customer A1']!);
      const path = await getUnitPath(customer, ids['Region A1-south']!);
      expect(path.map((u) => u.name)).toEqual(['Customer A1', 'Region A1-south']);
      const top = await getUnit(customer, ids['Customer A1']!);
      expect(top).toMatchObject({ parentId: null, depth: 0 });
      for (const id of [rootId, ids['Reseller A']!, ids['Customer A2']!, ids['Customer B1']!]) {
        await expect(getUnit(customer, id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(listUnitChildren(customer, id, {})).rejects.toMatchObject({ code: 'not_found' });
        await expect(listUnitSubtree(customer, id, {})).rejects.toMatchObject({ code: 'not_found' });
        await expect(getUnitPath(customer, id)).rejects.toMatchObject({ code: 'not_found' });
      }
      const subtree = await listUnitSubtree(customer, ids['Customer A1']!, {});
      expect(subtree.items.map((u) => u.name).sort()).toEqual(['Customer A1', 'Region A1-north', 'Region A1-south']);
    });

    it('answers forbidden to a principal without bu.read inside its subtree', async () => {
      const noRead = testContext(database, ids['Customer A1']!, { privileges: ['settings.read'] });
      await expect(getUnit(noRead, ids['Customer A1']!)).rejects.toMatchObject({ code: 'forbidden' });
    });
  });

  describe('delete', () => {
    it('deletes a leaf with its closure rows and audits it at the parent', async () => {
      const leaf = await createUnit(admin, { parentId: ids['Customer B1']!, name: 'Leaf' });
      await deleteUnit(admin, leaf.id);
      await expect(getUnit(admin, leaf.id)).rejects.toMatchObject({ code: 'not_found' });
      const rows = await database.kysely
        .withTables<{ bu_closure: { ancestor_id: string; descendant_id: string } }>()
        .selectFrom('bu_closure')
        .selectAll()
        .where('descendant_id', '=', leaf.id)
        .execute();
      expect(rows).toEqual([]);
      expect((await auditEntries(database)).at(-1)).toMatchObject({
        action: 'bu.delete',
        bu_id: ids['Customer B1'],
        resource_id: leaf.id,
      });
    });

    it('refuses a unit with children, the root, the caller’s own top unit; writes nothing', async () => {
      await expectNothingWritten(() => deleteUnit(admin, ids['Customer A1']!), { details: { reason: 'has_children' } });
      await expectNothingWritten(() => deleteUnit(admin, rootId), { details: { reason: 'delete_root' } });
      const reseller = testContext(database, ids['Reseller B']!);
      await expectNothingWritten(() => deleteUnit(reseller, ids['Reseller B']!), {
        code: 'forbidden',
        details: { reason: 'delete_scope_root' },
      });
      await expectNothingWritten(() => deleteUnit(reseller, ids['Customer A2']!), { code: 'not_found' });
    });

    it('asks every registered deletion guard', async () => {
      const unit = await createUnit(admin, { parentId: ids['Customer B1']!, name: 'Guarded' });
      blockedUnitIds.add(unit.id);
      await expectNothingWritten(() => deleteUnit(admin, unit.id), {
        code: 'conflict',
        details: {
          reason: 'delete_guard',
          refusals: [{ guard: 'test-resources', reason: '2 test resources are still assigned' }],
        },
      });
      blockedUnitIds.delete(unit.id);
      await deleteUnit(admin, unit.id);
    });
  });
});
