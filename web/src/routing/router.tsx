import { type AnchorHTMLAttributes, type MouseEvent, type ReactNode, useSyncExternalStore } from 'react';
import type { Location } from './routes.ts';

const listeners = new Set<() => void>();
let snapshotKey = '';
let snapshot: Location = read();

function read(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

function current(): Location {
  const key = window.location.pathname + window.location.search;
  if (key !== snapshotKey) {
    snapshotKey = key;
    snapshot = read();
  }
  return snapshot;
}

/** The current path and query; re-renders on navigation. */
export function useLocation(): Location {
  return useSyncExternalStore(subscribe, current);
}

/** Goes to a console path without reloading (history entry unless `replace`). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const listener of listeners) listener();
  window.scrollTo?.(0, 0);
}

/** Changes query values of the current address (undefined removes one). */
export function setQuery(values: Record<string, string | undefined>, options: { replace?: boolean } = {}): void {
  const search = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '') search.delete(key);
    else search.set(key, value);
  }
  const text = search.toString();
  navigate(`${window.location.pathname}${text ? `?${text}` : ''}`, options);
}

/** Follows a plain left click in the console; modified clicks open a new tab as usual. */
export function handleLinkClick(event: MouseEvent<HTMLElement>, to: string): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  event.preventDefault();
  navigate(to);
}

interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
  children: ReactNode;
}

/** An ordinary link (works with the keyboard, middle click and "copy address") that navigates in place. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  return (
    <a
      href={to}
      onClick={(event) => {
        onClick?.(event);
        handleLinkClick(event, to);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}
