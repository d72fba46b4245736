/** API times are RFC 3339 strings in UTC; the database holds epoch milliseconds. */
export function iso(epochMs: number | bigint | string): string {
  return new Date(Number(epochMs)).toISOString();
}

export function isoOrNull(epochMs: number | bigint | string | null): string | null {
  return epochMs === null ? null : iso(epochMs);
}
