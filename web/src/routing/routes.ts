// The console's addresses. A small table instead of a router library: a handful of
// screens, each a path pattern with named parts.

export interface Location {
  path: string;
  query: URLSearchParams;
}

/** `/units/:id` against `/units/0190…` → `{ id: '0190…' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.split('/').filter((p) => p !== '');
  const pathParts = path.split('/').filter((p) => p !== '');
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (part !== actual) return null;
  }
  return params;
}

/** Builds a path from a pattern and values (encoded), plus optional query values. */
export function buildPath(
  pattern: string,
  params: Record<string, string> = {},
  query: Record<string, string | undefined> = {},
): string {
  const path = pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? encodeURIComponent(params[part.slice(1)] ?? '') : part))
    .join('/');
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, value);
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
