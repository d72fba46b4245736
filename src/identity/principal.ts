import { isPrivilege } from './privileges.ts';

/** The privileges of a role JSON column, limited to the catalogue (unknown names grant nothing). */
export function parsePrivileges(json: string): Set<string> {
  try {
    const list = JSON.parse(json) as unknown;
    if (!Array.isArray(list)) return new Set();
    return new Set(list.filter((p): p is string => typeof p === 'string' && isPrivilege(p)));
  } catch {
    return new Set();
  }
}

/**
 * A role is usable at a unit when it is built in (no unit) or defined at the unit or an
 * ancestor. `pathToRoot` is the unit followed by its ancestors.
 */
export function roleUsableAt(roleBuId: string | null, pathToRoot: readonly string[]): boolean {
  return roleBuId === null || pathToRoot.includes(roleBuId);
}

export function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...a].filter((p) => b.has(p)));
}
