import { packIdFromKey } from '../engine/index.ts';
import { ValidationError } from '../platform/index.ts';

/** What a vault object key names (docs/FORMAT.md §2 layout, as agents reach it). */
export type ObjectKey =
  | { readonly kind: 'config' }
  | { readonly kind: 'key'; readonly id: string }
  | { readonly kind: 'pack'; readonly id: string }
  | { readonly kind: 'index'; readonly id: string }
  | { readonly kind: 'snapshot'; readonly id: string }
  | { readonly kind: 'lock'; readonly id: string };

/** Prefixes an agent may list. */
export const listablePrefixes = ['keys/', 'data/', 'index/', 'snapshots/', 'locks/'] as const;

const hex64 = /^[0-9a-f]{64}$/;

/** Parses an object key an agent sent; throws ValidationError for anything outside the layout. */
export function parseObjectKey(key: string): ObjectKey {
  if (key === 'config') return { kind: 'config' };
  const [prefix, ...rest] = key.split('/');
  const name = rest.join('/');
  switch (prefix) {
    case 'keys':
      if (/^[0-9a-f]{32}$/.test(name)) return { kind: 'key', id: name };
      break;
    case 'data': {
      const id = packIdFromKey(key);
      if (id) return { kind: 'pack', id };
      break;
    }
    case 'index':
      if (hex64.test(name)) return { kind: 'index', id: name };
      break;
    case 'snapshots':
      if (hex64.test(name)) return { kind: 'snapshot', id: name };
      break;
    case 'locks':
      if (/^[0-9a-f]{32}$/.test(name)) return { kind: 'lock', id: name };
      break;
  }
  throw new ValidationError(`not an object of the vault layout: ${JSON.stringify(key.slice(0, 200))}`);
}
