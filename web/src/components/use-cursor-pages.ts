import { useCallback, useState } from 'react';

/**
 * Page-by-page navigation over a cursor API: the cursors of the pages already visited are
 * kept so "Previous" works without offsets. A new `resetKey` (the list's filters) starts
 * again at the first page.
 */
export function useCursorPages(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: (string | undefined)[] }>({
    key: resetKey,
    stack: [undefined],
  });
  const stack = state.key === resetKey ? state.stack : [undefined];
  const cursor = stack[stack.length - 1];
  const next = useCallback(
    (nextCursor: string | null | undefined) => {
      if (!nextCursor) return;
      setState((s) => ({ key: resetKey, stack: [...(s.key === resetKey ? s.stack : [undefined]), nextCursor] }));
    },
    [resetKey],
  );
  const previous = useCallback(() => {
    setState((s) => ({
      key: resetKey,
      stack: s.key === resetKey && s.stack.length > 1 ? s.stack.slice(0, -1) : [undefined],
    }));
  }, [resetKey]);
  return { cursor, page: stack.length, next, previous, hasPrevious: stack.length > 1 };
}
