import { ValidationError } from '../platform/index.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** A page of results and the opaque cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Encodes a keyset position as an opaque URL-safe cursor. */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor} holding exactly `fields`; throws ValidationError otherwise. */
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

/** The page size asked for, within 1..{@link MAX_PAGE_SIZE}. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, { field: 'limit' });
  }
  return limit;
}
