import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Unit } from '../api/types.ts';
import {
  addChildren,
  createTree,
  invalidateChildren,
  markLoading,
  needsChildren,
  reveal,
  setExpanded,
  type TreeState,
  type TreeUnit,
  updateUnit,
  visibleRows,
} from './tree-model.ts';

/** Children are fetched this many at a time (the API allows up to 500). */
export const childPageSize = 200;

function treeUnit(unit: Unit & { hasChildren?: boolean }): TreeUnit {
  return {
    id: unit.id,
    parentId: unit.parentId,
    name: unit.name,
    code: unit.code,
    ...(unit.hasChildren !== undefined ? { hasChildren: unit.hasChildren } : {}),
  };
}

/**
 * The hierarchy tree below `root`: lazily loaded pages of children, expansion, reveal and
 * refresh. Mount it with `key={root.id}` so another root starts a fresh tree.
 */
export function useUnitTree(root: Unit) {
  const [state, setState] = useState<TreeState>(() => createTree(treeUnit(root)));
  const stateRef = useRef(state);
  stateRef.current = state;
  const [error, setError] = useState<string | null>(null);

  const loadPage = useCallback(async (parentId: string, cursor: string | null) => {
    setState((s) => markLoading(s, parentId, true));
    try {
      const page = await call(
        api.GET('/api/v1/business-units/{id}/children', {
          params: { path: { id: parentId }, query: { limit: childPageSize, ...(cursor ? { cursor } : {}) } },
        }),
      );
      setState((s) => addChildren(s, parentId, page.items.map(treeUnit), page.nextCursor, cursor !== null));
      setError(null);
    } catch (caught) {
      setState((s) => markLoading(s, parentId, false));
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }, []);

  useEffect(() => {
    void loadPage(root.id, null);
  }, [root.id, loadPage]);

  const toggle = useCallback(
    (id: string) => {
      const current = stateRef.current;
      const expand = !current.expanded.has(id);
      setState((s) => setExpanded(s, id, expand));
      if (expand && needsChildren(current, id)) void loadPage(id, null);
    },
    [loadPage],
  );

  const expand = useCallback(
    (id: string, on: boolean) => {
      const current = stateRef.current;
      setState((s) => setExpanded(s, id, on));
      if (on && needsChildren(current, id)) void loadPage(id, null);
    },
    [loadPage],
  );

  /** Loads the next page under `parentId` (the first when only revealed units are known). */
  const loadMore = useCallback(
    (parentId: string) => {
      const current = stateRef.current;
      if (current.loading.has(parentId)) return;
      const page = current.children.get(parentId);
      // An empty cursor marks a unit known only through revealed children: load its first page.
      void loadPage(parentId, page?.nextCursor ? page.nextCursor : null);
    },
    [loadPage],
  );

  /** Expands the way down to a unit (path from the API, root first). */
  const revealPath = useCallback((path: readonly Unit[]) => {
    setState((s) => reveal(s, path.map(treeUnit)));
  }, []);

  /** Reloads the children of these units (after a create, move or delete under them). */
  const refreshChildren = useCallback(
    (parentIds: readonly string[]) => {
      setState((s) => invalidateChildren(s, parentIds));
      for (const id of parentIds) {
        if (stateRef.current.expanded.has(id) || id === stateRef.current.rootId) void loadPage(id, null);
      }
    },
    [loadPage],
  );

  const rename = useCallback((unit: Unit) => setState((s) => updateUnit(s, treeUnit(unit))), []);

  const rows = useMemo(() => visibleRows(state), [state]);
  return { state, rows, error, toggle, expand, loadMore, revealPath, refreshChildren, rename };
}

export type UnitTreeControl = ReturnType<typeof useUnitTree>;
