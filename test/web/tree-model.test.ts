import { describe, expect, it } from 'vitest';
import {
  addChildren,
  createTree,
  invalidateChildren,
  keyAction,
  reveal,
  setExpanded,
  type TreeUnit,
  updateUnit,
  visibleRows,
} from '../../web/src/hierarchy/tree-model.ts';

const unit = (id: string, parentId: string | null): TreeUnit => ({ id, parentId, name: `Unit ${id}`, code: null });
const labels = (rows: ReturnType<typeof visibleRows>) =>
  rows.map((row) =>
    row.kind === 'unit' ? `${'  '.repeat(row.level)}${row.unit.id}` : `${'  '.repeat(row.level)}[more ${row.parentId}]`,
  );

describe('hierarchy tree model', () => {
  it('lists expanded units depth first with a "more" row while pages remain', () => {
    let tree = createTree(unit('root', null));
    expect(labels(visibleRows(tree))).toEqual(['root', '  [more root]']);
    tree = addChildren(tree, 'root', [unit('a', 'root'), unit('b', 'root')], 'cursor-2', false);
    expect(labels(visibleRows(tree))).toEqual(['root', '  a', '  b', '  [more root]']);
    tree = addChildren(tree, 'root', [unit('c', 'root')], null, true);
    tree = setExpanded(tree, 'a', true);
    tree = addChildren(tree, 'a', [unit('a1', 'a')], null, false);
    expect(labels(visibleRows(tree))).toEqual(['root', '  a', '    a1', '  b', '  c']);
    const rowB = visibleRows(tree).find((row) => row.kind === 'unit' && row.unit.id === 'b');
    expect(rowB).toMatchObject({ expandable: true, expanded: false });
    tree = setExpanded(tree, 'b', true);
    tree = addChildren(tree, 'b', [], null, false);
    expect(visibleRows(tree).find((row) => row.kind === 'unit' && row.unit.id === 'b')).toMatchObject({
      expandable: false,
    });
  });

  it('reveals a deep unit without loading its siblings, then merges it with the loaded page', () => {
    let tree = addChildren(createTree(unit('root', null)), 'root', [unit('a', 'root')], 'next', false);
    tree = reveal(tree, [unit('root', null), unit('z', 'root'), unit('z1', 'z')]);
    expect(labels(visibleRows(tree))).toEqual(['root', '  a', '  z', '    z1', '    [more z]', '  [more root]']);
    tree = addChildren(tree, 'root', [unit('y', 'root'), unit('z', 'root')], null, true);
    expect(labels(visibleRows(tree)).slice(0, 4)).toEqual(['root', '  a', '  y', '  z']);
    tree = invalidateChildren(tree, ['z']);
    expect(tree.children.has('z')).toBe(false);
  });

  it('offers no expand arrow for units a listing says have no children, until that may have changed', () => {
    const listed = (id: string, hasChildren: boolean): TreeUnit => ({ ...unit(id, 'root'), hasChildren });
    let tree = addChildren(
      createTree(unit('root', null)),
      'root',
      [listed('leaf', false), listed('branch', true)],
      null,
      false,
    );
    const row = (id: string) => visibleRows(tree).find((r) => r.kind === 'unit' && r.unit.id === id);
    expect(row('leaf')).toMatchObject({ expandable: false });
    expect(row('branch')).toMatchObject({ expandable: true, expanded: false });
    expect(keyAction(visibleRows(tree), 1, 'ArrowRight')).toEqual({ kind: 'none' });
    // A rename (the unit's own answer carries no flag) keeps what the listing said.
    tree = updateUnit(tree, { ...unit('leaf', 'root'), name: 'Renamed' });
    expect(row('leaf')).toMatchObject({ expandable: false, unit: { name: 'Renamed', hasChildren: false } });
    // A child was created under it: unknown again, so it can be opened.
    tree = invalidateChildren(tree, ['leaf']);
    expect(row('leaf')).toMatchObject({ expandable: true });
  });

  it('follows the ARIA tree keys', () => {
    let tree = addChildren(createTree(unit('root', null)), 'root', [unit('a', 'root'), unit('b', 'root')], null, false);
    tree = setExpanded(tree, 'a', true);
    tree = addChildren(tree, 'a', [unit('a1', 'a')], null, false);
    const rows = visibleRows(tree);
    expect(keyAction(rows, 0, 'ArrowDown')).toEqual({ kind: 'focus', index: 1 });
    expect(keyAction(rows, 1, 'ArrowLeft')).toEqual({ kind: 'collapse', index: 1 });
    expect(keyAction(rows, 2, 'ArrowLeft')).toEqual({ kind: 'focus', index: 1 });
    expect(keyAction(rows, 3, 'ArrowRight')).toEqual({ kind: 'expand', index: 3 });
    expect(keyAction(rows, 3, 'End')).toEqual({ kind: 'focus', index: 3 });
    expect(keyAction(rows, 2, 'Enter')).toEqual({ kind: 'activate', index: 2 });
    expect(keyAction(rows, 0, 'x')).toEqual({ kind: 'none' });
  });

  // How fast this is belongs in a benchmark, not here: a timed assertion fails on a busy machine.
  it('flattens 10,000 units under one parent and 10,000 spread over levels, in order', () => {
    let tree = createTree(unit('root', null));
    for (let page = 0; page < 50; page++) {
      const items = Array.from({ length: 200 }, (_, i) => unit(`u${page * 200 + i}`, 'root'));
      tree = addChildren(tree, 'root', items, page < 49 ? `p${page + 1}` : null, page > 0);
    }
    const rows = visibleRows(tree);
    expect(rows).toHaveLength(10_001);
    expect(rows[1]).toMatchObject({ kind: 'unit', unit: { id: 'u0' } });
    expect(rows.at(-1)).toMatchObject({ kind: 'unit', unit: { id: 'u9999' } });

    let deep = createTree(unit('root', null));
    for (let group = 0; group < 100; group++) {
      deep = addChildren(deep, 'root', [unit(`g${group}`, 'root')], group < 99 ? 'more' : null, group > 0);
      deep = setExpanded(deep, `g${group}`, true);
      deep = addChildren(
        deep,
        `g${group}`,
        Array.from({ length: 99 }, (_, i) => unit(`g${group}-${i}`, `g${group}`)),
        null,
        false,
      );
    }
    expect(visibleRows(deep)).toHaveLength(1 + 100 * 100);
  });
});
