// The hierarchy tree's state, kept apart from React so it can be tested and stays fast with
// tens of thousands of units: children are loaded page by page when a unit is expanded, and
// only the visible rows are ever listed (the view renders a window of them).

/** What the tree needs of a business unit. */
export interface TreeUnit {
  id: string;
  parentId: string | null;
  name: string;
  code: string | null;
  /** Whether it has children, as listings say; undefined when not known (an expand arrow until opened). */
  hasChildren?: boolean;
}

/** The children of one unit as far as they are loaded. */
export interface ChildPage {
  ids: string[];
  /** Cursor of the next page; null when every child is loaded. */
  nextCursor: string | null;
  /** Ids shown because a search revealed them, though their page is not loaded yet. */
  revealed: string[];
}

export interface TreeState {
  rootId: string;
  units: ReadonlyMap<string, TreeUnit>;
  children: ReadonlyMap<string, ChildPage>;
  expanded: ReadonlySet<string>;
  /** Units whose next page is being fetched. */
  loading: ReadonlySet<string>;
}

export type TreeRow =
  | { kind: 'unit'; key: string; unit: TreeUnit; level: number; expanded: boolean; expandable: boolean }
  | { kind: 'more'; key: string; parentId: string; level: number; loading: boolean };

export function createTree(root: TreeUnit): TreeState {
  return {
    rootId: root.id,
    units: new Map([[root.id, root]]),
    children: new Map(),
    expanded: new Set([root.id]),
    loading: new Set([root.id]),
  };
}

/** Adds a loaded page of `parentId`'s children (first page replaces, later pages append). */
export function addChildren(
  state: TreeState,
  parentId: string,
  items: readonly TreeUnit[],
  nextCursor: string | null,
  append: boolean,
): TreeState {
  const units = new Map(state.units);
  for (const item of items) units.set(item.id, item);
  const previous = state.children.get(parentId);
  const base = append && previous ? previous.ids : [];
  const seen = new Set(base);
  const ids = [...base];
  for (const item of items) {
    if (!seen.has(item.id)) {
      seen.add(item.id);
      ids.push(item.id);
    }
  }
  const revealed = (previous?.revealed ?? []).filter((id) => !seen.has(id));
  const children = new Map(state.children);
  children.set(parentId, { ids, nextCursor, revealed });
  const loading = new Set(state.loading);
  loading.delete(parentId);
  return { ...state, units, children, loading };
}

export function markLoading(state: TreeState, parentId: string, on: boolean): TreeState {
  const loading = new Set(state.loading);
  if (on) loading.add(parentId);
  else loading.delete(parentId);
  return { ...state, loading };
}

/** Whether expanding `id` must fetch its first page of children. */
export function needsChildren(state: TreeState, id: string): boolean {
  return !state.children.has(id) && !state.loading.has(id);
}

export function setExpanded(state: TreeState, id: string, expanded: boolean): TreeState {
  if (state.expanded.has(id) === expanded) return state;
  const next = new Set(state.expanded);
  if (expanded) next.add(id);
  else next.delete(id);
  return { ...state, expanded: next };
}

/**
 * Makes a unit visible: `path` runs from the tree's root down to the unit (as the API's
 * `/path` returns it). Every unit on the way is expanded; a unit whose page is not loaded
 * yet is listed under its parent as revealed, so it shows without loading every sibling.
 */
export function reveal(state: TreeState, path: readonly TreeUnit[]): TreeState {
  const start = path.findIndex((u) => u.id === state.rootId);
  if (start < 0) return state;
  const units = new Map(state.units);
  const children = new Map(state.children);
  const expanded = new Set(state.expanded);
  for (let index = start; index < path.length; index++) {
    const unit = path[index]!;
    units.set(unit.id, unit);
    const child = path[index + 1];
    if (!child) break;
    expanded.add(unit.id);
    const page = children.get(unit.id) ?? { ids: [], nextCursor: '', revealed: [] };
    if (!page.ids.includes(child.id) && !page.revealed.includes(child.id)) {
      children.set(unit.id, { ...page, revealed: [...page.revealed, child.id] });
    }
  }
  return { ...state, units, children, expanded };
}

/** Replaces a unit's fields after a rename. */
export function updateUnit(state: TreeState, unit: TreeUnit): TreeState {
  const previous = state.units.get(unit.id);
  if (!previous) return state;
  const units = new Map(state.units);
  const hasChildren = unit.hasChildren ?? previous.hasChildren;
  units.set(unit.id, { ...unit, ...(hasChildren !== undefined ? { hasChildren } : {}) });
  return { ...state, units };
}

/**
 * Forgets the loaded children of these units (after a create, move or delete), so they load
 * again, and whether they have any (a leaf may just have got its first child).
 */
export function invalidateChildren(state: TreeState, parentIds: readonly string[]): TreeState {
  const children = new Map(state.children);
  const units = new Map(state.units);
  for (const id of parentIds) {
    children.delete(id);
    const unit = units.get(id);
    if (unit?.hasChildren !== undefined) {
      const { hasChildren: _unknown, ...rest } = unit;
      units.set(id, rest);
    }
  }
  return { ...state, children, units };
}

/**
 * The rows to draw, depth first, from the root: each expanded unit's loaded children (and
 * revealed ones) follow it, then a "more" row when it has further pages. Cost is linear
 * in the number of visible rows.
 */
export function visibleRows(state: TreeState): TreeRow[] {
  const rows: TreeRow[] = [];
  const root = state.units.get(state.rootId);
  if (!root) return rows;
  const stack: { id: string; level: number }[] = [{ id: root.id, level: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.id.startsWith('more:')) {
      const parentId = entry.id.slice(5);
      rows.push({
        kind: 'more',
        key: entry.id,
        parentId,
        level: entry.level,
        loading: state.loading.has(parentId),
      });
      continue;
    }
    const unit = state.units.get(entry.id);
    if (!unit) continue;
    const page = state.children.get(unit.id);
    const expanded = state.expanded.has(unit.id);
    // Before its children are loaded, a unit is expandable unless a listing said it has none.
    const expandable = page
      ? page.ids.length > 0 || page.revealed.length > 0 || page.nextCursor !== null
      : unit.hasChildren !== false;
    rows.push({ kind: 'unit', key: unit.id, unit, level: entry.level, expanded: expanded && expandable, expandable });
    if (!expanded || !page) {
      if (expanded && state.loading.has(unit.id)) {
        stack.push({ id: `more:${unit.id}`, level: entry.level + 1 });
      }
      continue;
    }
    const pending: { id: string; level: number }[] = [];
    for (const id of page.ids) pending.push({ id, level: entry.level + 1 });
    for (const id of page.revealed) pending.push({ id, level: entry.level + 1 });
    if (page.nextCursor !== null || state.loading.has(unit.id)) {
      pending.push({ id: `more:${unit.id}`, level: entry.level + 1 });
    }
    for (let index = pending.length - 1; index >= 0; index--) stack.push(pending[index]!);
  }
  return rows;
}

/** What a key press in the tree does (WAI-ARIA tree pattern). */
export type TreeKeyAction =
  | { kind: 'focus'; index: number }
  | { kind: 'expand'; index: number }
  | { kind: 'collapse'; index: number }
  | { kind: 'activate'; index: number }
  | { kind: 'none' };

export function keyAction(rows: readonly TreeRow[], index: number, key: string): TreeKeyAction {
  const row = rows[index];
  if (!row) return rows.length > 0 ? { kind: 'focus', index: 0 } : { kind: 'none' };
  switch (key) {
    case 'ArrowDown':
      return { kind: 'focus', index: Math.min(rows.length - 1, index + 1) };
    case 'ArrowUp':
      return { kind: 'focus', index: Math.max(0, index - 1) };
    case 'Home':
      return { kind: 'focus', index: 0 };
    case 'End':
      return { kind: 'focus', index: rows.length - 1 };
    case 'ArrowRight':
      if (row.kind === 'unit' && row.expandable && !row.expanded) return { kind: 'expand', index };
      if (row.kind === 'unit' && row.expanded) return { kind: 'focus', index: Math.min(rows.length - 1, index + 1) };
      return { kind: 'none' };
    case 'ArrowLeft': {
      if (row.kind === 'unit' && row.expanded) return { kind: 'collapse', index };
      for (let i = index - 1; i >= 0; i--) {
        if (rows[i]!.level < row.level) return { kind: 'focus', index: i };
      }
      return { kind: 'none' };
    }
    case 'Enter':
    case ' ':
      return { kind: 'activate', index };
    default:
      return { kind: 'none' };
  }
}
