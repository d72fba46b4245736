import { ValidationError } from './errors.ts';

/**
 * Cursor paging of the API's listings (tenancy, usage, billing): a page is `{items,
 * nextCursor}`, `nextCursor` is an opaque keyset position (base64url JSON) to pass as
 * `cursor`, null on the last page.
 */
export const defaultPageSize = 50;
export const maxPageSize = 500;

/** The `limit` and `cursor` query parameters of a paged listing (JSON Schema properties). */
export const pageQueryProperties = {
  limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: defaultPageSize },
  cursor: { type: 'string', maxLength: 1000, description: 'nextCursor of the previous page.' },
} as const;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Encodes a keyset position as an opaque URL-safe cursor. */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor} holding `fields` (strings); throws ValidationError otherwise. */
export function decodeCursor<K extends string>(cursor: string, fields: readonly K[]): Record<K, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('cursor is not valid', { field: 'cursor' });
  }
  if (typeof parsed !== 'object' || parsed === null)
    throw new ValidationError('cursor is not valid', { field: 'cursor' });
  const record = parsed as Record<string, unknown>;
  const result = {} as Record<K, string>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string') throw new ValidationError('cursor is not valid', { field: 'cursor' });
    result[field] = value;
  }
  return result;
}

/** The page size asked for, within 1..{@link maxPageSize}. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return defaultPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
    throw new ValidationError(`limit must be an integer from 1 to ${maxPageSize}`, { field: 'limit' });
  }
  return limit;
}

/** Takes the first `limit` of `limit + 1` rows read and the cursor of the next page (null when none is left). */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  item: (row: R) => T,
  position: (row: R) => Record<string, string>,
): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { items: kept.map(item), nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}
