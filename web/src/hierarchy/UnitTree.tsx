import { ActionIcon, Box, Group, Loader, Text, UnstyledButton } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { keyAction, type TreeRow } from './tree-model.ts';
import type { UnitTreeControl } from './use-unit-tree.ts';

const rowHeight = 32;

function rowId(row: TreeRow): string {
  return `unit-tree-row-${row.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * The business-unit tree as a WAI-ARIA tree: one tab stop, arrow keys move and expand,
 * Enter opens a unit. Only the rows in view are in the DOM, so a unit with thousands of
 * children scrolls smoothly; further pages load when their "more" row scrolls into view.
 */
export function UnitTree({
  tree,
  selectedId,
  onSelect,
  height,
}: {
  tree: UnitTreeControl;
  selectedId: string | null;
  onSelect(id: string): void;
  height: number | string;
}) {
  const { rows } = tree;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();

  // Keep the selected unit as the active row when the selection comes from elsewhere.
  useEffect(() => {
    if (!selectedId) return;
    const index = rows.findIndex((row) => row.kind === 'unit' && row.unit.id === selectedId);
    if (index >= 0) setActiveIndex(index);
  }, [selectedId, rows]);

  // Further pages load when their "more" row is drawn.
  useEffect(() => {
    for (const item of items) {
      const row = rows[item.index];
      if (row?.kind === 'more' && !row.loading) tree.loadMore(row.parentId);
    }
  }, [items, rows, tree.loadMore]);

  const active = rows[Math.min(activeIndex, rows.length - 1)];

  function handleKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const action = keyAction(rows, activeIndex, event.key);
    if (action.kind === 'none') return;
    event.preventDefault();
    const row = rows[action.index];
    switch (action.kind) {
      case 'focus':
        setActiveIndex(action.index);
        virtualizer.scrollToIndex(action.index, { align: 'auto' });
        return;
      case 'expand':
      case 'collapse':
        if (row?.kind === 'unit') tree.expand(row.unit.id, action.kind === 'expand');
        return;
      case 'activate':
        if (row?.kind === 'unit') onSelect(row.unit.id);
        else if (row?.kind === 'more') tree.loadMore(row.parentId);
        return;
    }
  }

  return (
    <div
      ref={scrollRef}
      role="tree"
      aria-label="Business units"
      tabIndex={0}
      aria-activedescendant={active ? rowId(active) : undefined}
      onKeyDown={handleKeyDown}
      style={{ height, overflow: 'auto', position: 'relative', outlineOffset: -2 }}
      data-testid="unit-tree"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {items.map((item) => {
          const row = rows[item.index]!;
          const isActive = item.index === activeIndex;
          return (
            <Box
              key={row.key}
              id={rowId(row)}
              role="treeitem"
              aria-level={row.level + 1}
              aria-selected={row.kind === 'unit' ? row.unit.id === selectedId : undefined}
              aria-expanded={row.kind === 'unit' && row.expandable ? row.expanded : undefined}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                width: '100%',
                height: rowHeight,
                transform: `translateY(${item.start}px)`,
                paddingLeft: 4 + row.level * 16,
              }}
              bg={row.kind === 'unit' && row.unit.id === selectedId ? 'var(--mantine-primary-color-light)' : undefined}
              bd={isActive ? '1px dashed var(--mantine-color-gray-5)' : undefined}
            >
              {row.kind === 'unit' ? (
                <Group gap={2} wrap="nowrap" h={rowHeight}>
                  {row.expandable ? (
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      size="sm"
                      tabIndex={-1}
                      aria-label={`${row.expanded ? 'Collapse' : 'Expand'} ${row.unit.name}`}
                      onClick={() => tree.toggle(row.unit.id)}
                    >
                      <span
                        aria-hidden="true"
                        style={{ display: 'inline-block', transform: row.expanded ? 'rotate(90deg)' : undefined }}
                      >
                        ▸
                      </span>
                    </ActionIcon>
                  ) : (
                    <Box w={22} aria-hidden="true" />
                  )}
                  <UnstyledButton
                    tabIndex={-1}
                    onClick={() => {
                      setActiveIndex(item.index);
                      onSelect(row.unit.id);
                    }}
                    style={{ flex: 1, minWidth: 0 }}
                    data-unit-id={row.unit.id}
                  >
                    <Text size="sm" truncate fw={row.unit.id === selectedId ? 600 : 400}>
                      {row.unit.name}
                      {row.unit.code ? (
                        <Text span size="xs" c="dimmed">
                          {' '}
                          {row.unit.code}
                        </Text>
                      ) : null}
                    </Text>
                  </UnstyledButton>
                </Group>
              ) : (
                <Group gap="xs" h={rowHeight} pl={24}>
                  {row.loading ? <Loader size={12} aria-hidden="true" /> : null}
                  <UnstyledButton tabIndex={-1} onClick={() => tree.loadMore(row.parentId)}>
                    <Text size="xs" c="dimmed">
                      {row.loading ? 'Loading…' : 'Load more'}
                    </Text>
                  </UnstyledButton>
                </Group>
              )}
            </Box>
          );
        })}
      </div>
    </div>
  );
}
