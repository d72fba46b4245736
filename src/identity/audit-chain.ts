import { canonicalJson } from './canonical-json.ts';
import type { AuditLogTable } from './tables.ts';
import { sha256Hex } from './tokens.ts';

/** The hash every chain starts from (the `prev_hash` of entry 1). */
export const genesisHash = '0'.repeat(64);

/**
 * The hash of one entry: SHA-256 over the canonical JSON of every column except `hash`
 * itself, so changing any field, or the link to the previous entry, changes it.
 * docs/decisions/0006 describes the format; changing it breaks every stored chain.
 */
export function entryHash(entry: Omit<AuditLogTable, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      seq: entry.seq,
      id: entry.id,
      at: entry.at,
      actorType: entry.actor_type,
      actorUserId: entry.actor_user_id,
      actorKeyId: entry.actor_key_id,
      actorName: entry.actor_name,
      action: entry.action,
      buId: entry.bu_id,
      resourceType: entry.resource_type,
      resourceId: entry.resource_id,
      before: entry.before_json,
      after: entry.after_json,
      address: entry.address,
      requestId: entry.request_id,
      prevHash: entry.prev_hash,
    }),
  );
}

export interface ChainBreak {
  seq: number;
  id: string | null;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'missing_entry' | 'head_mismatch';
}

/**
 * Checks one page of entries (ascending seq) continuing from `expectedSeq`/`prevHash`;
 * returns the first break, or the state to continue from.
 */
export function checkChainPage(
  entries: readonly AuditLogTable[],
  state: { expectedSeq: number; prevHash: string },
): { broken: ChainBreak } | { expectedSeq: number; prevHash: string } {
  let { expectedSeq, prevHash } = state;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) return { broken: { seq: expectedSeq, id: null, reason: 'missing_entry' } };
    if (entry.prev_hash !== prevHash) return { broken: { seq: entry.seq, id: entry.id, reason: 'prev_hash_mismatch' } };
    const { hash, ...rest } = entry;
    if (entryHash(rest) !== hash) return { broken: { seq: entry.seq, id: entry.id, reason: 'hash_mismatch' } };
    prevHash = hash;
    expectedSeq += 1;
  }
  return { expectedSeq, prevHash };
}
