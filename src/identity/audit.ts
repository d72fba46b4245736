import type { AuditEvent, AuditRecorder, Clock, Principal } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import { type ChainBreak, checkChainPage, entryHash, genesisHash } from './audit-chain.ts';
import { type AuditRow, advanceChain, auditEntriesAfter, chainHead, insertAuditEntry } from './audit-store.ts';
import { canonicalJson } from './canonical-json.ts';
import { asIdentityDb, type IdentityDb } from './db.ts';
import type { AuditActorType } from './tables.ts';

/** Who made a change, as the audit log names it. */
export interface AuditActor {
  type: AuditActorType;
  userId: string | null;
  keyId: string | null;
  name: string;
}

export const systemActor: AuditActor = Object.freeze({ type: 'system', userId: null, keyId: null, name: 'system' });

export function actorOf(principal: Principal | null): AuditActor {
  if (!principal) return systemActor;
  return principal.kind === 'apikey'
    ? { type: 'apikey', userId: principal.userId, keyId: principal.credentialId, name: principal.displayName }
    : { type: 'user', userId: principal.userId, keyId: null, name: principal.displayName };
}

export interface AuditAppend {
  actor: AuditActor;
  event: AuditEvent;
  at: number;
  address: string;
  requestId: string;
}

/** Longest before/after summary kept; longer ones are replaced by a marker (summaries, not dumps). */
const maxSummaryLength = 16_384;

function summary(value: Record<string, unknown> | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = canonicalJson(value);
  return text.length <= maxSummaryLength ? text : canonicalJson({ truncated: true, length: text.length });
}

async function appendIn(db: IdentityDb, input: AuditAppend): Promise<AuditRow> {
  const head = await advanceChain(db);
  const row: Omit<AuditRow, 'hash'> = {
    seq: head.seq,
    id: newId(input.at),
    at: input.at,
    actor_type: input.actor.type,
    actor_user_id: input.actor.userId,
    actor_key_id: input.actor.keyId,
    actor_name: input.actor.name,
    action: input.event.action,
    bu_id: input.event.buId,
    resource_type: input.event.resourceType,
    resource_id: input.event.resourceId,
    before_json: summary(input.event.before),
    after_json: summary(input.event.after),
    address: input.address,
    request_id: input.requestId,
    prev_hash: head.head_hash,
  };
  const entry: AuditRow = { ...row, hash: entryHash(row) };
  await insertAuditEntry(db, entry);
  return entry;
}

/**
 * Appends one entry to the chain. Inside a transaction (`db.isTransaction`) the entry
 * commits or rolls back with the change it describes; otherwise it gets its own.
 */
export async function appendAudit(db: IdentityDb, input: AuditAppend): Promise<AuditRow> {
  if (db.isTransaction) return appendIn(db, input);
  return db.transaction().execute((trx) => appendIn(trx, input));
}

/**
 * The recorder handed to services in the request context. Callers inside a transaction
 * pass it as `trx`; without one the entry is written in a transaction of its own (never
 * call it without `trx` while holding a transaction open on SQLite's single connection).
 */
export function createAuditRecorder(
  db: IdentityDb,
  clock: Clock,
  actor: () => AuditActor,
  meta: { address: string; requestId: string },
): AuditRecorder {
  return Object.freeze({
    async record(event: AuditEvent, trx?: unknown): Promise<void> {
      await appendAudit(trx === undefined ? db : asIdentityDb(trx), {
        actor: actor(),
        event,
        at: clock.now(),
        address: meta.address,
        requestId: meta.requestId,
      });
    },
  });
}

export interface ChainVerification {
  ok: boolean;
  /** Entries checked before the first break (or in total). */
  checked: number;
  headSeq: number;
  firstBroken: ChainBreak | null;
}

/**
 * Walks the whole chain in sequence order, recomputing every hash and link, and finally
 * compares the end with the chain head (which catches entries cut off the end).
 */
export async function verifyAuditChain(db: IdentityDb, pageSize = 1000): Promise<ChainVerification> {
  const head = await chainHead(db);
  let state = { expectedSeq: 1, prevHash: genesisHash };
  let checked = 0;
  for (;;) {
    const page = await auditEntriesAfter(db, state.expectedSeq - 1, pageSize);
    if (page.length === 0) break;
    const result = checkChainPage(page, state);
    if ('broken' in result) {
      return { ok: false, checked: result.broken.seq - 1, headSeq: head.seq, firstBroken: result.broken };
    }
    checked += page.length;
    state = result;
  }
  if (state.expectedSeq - 1 !== head.seq || state.prevHash !== head.head_hash) {
    return {
      ok: false,
      checked,
      headSeq: head.seq,
      firstBroken: {
        seq: state.expectedSeq,
        id: null,
        reason: state.expectedSeq - 1 < head.seq ? 'missing_entry' : 'head_mismatch',
      },
    };
  }
  return { ok: true, checked, headSeq: head.seq, firstBroken: null };
}

/** An audit entry as the API shows it. */
export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: { type: AuditActorType; userId: string | null; apiKeyId: string | null; name: string };
  action: string;
  buId: string | null;
  resource: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  address: string;
  requestId: string;
  hash: string;
  prevHash: string;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: { type: row.actor_type, userId: row.actor_user_id, apiKeyId: row.actor_key_id, name: row.actor_name },
    action: row.action,
    buId: row.bu_id,
    resource: { type: row.resource_type, id: row.resource_id },
    before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
    after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
    address: row.address,
    requestId: row.request_id,
    hash: row.hash,
    prevHash: row.prev_hash,
  };
}

const csvColumns = [
  'seq',
  'id',
  'at',
  'actor_type',
  'actor_user_id',
  'actor_api_key_id',
  'actor_name',
  'action',
  'bu_id',
  'resource_type',
  'resource_id',
  'before',
  'after',
  'address',
  'request_id',
  'prev_hash',
  'hash',
] as const;

/** RFC 4180 field; a leading =,+,-,@ is prefixed with ' so spreadsheets do not run it as a formula. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function auditCsvHeader(): string {
  return `${csvColumns.join(',')}\r\n`;
}

export function auditCsvRow(row: AuditRow): string {
  return `${[
    row.seq,
    row.id,
    new Date(row.at).toISOString(),
    row.actor_type,
    row.actor_user_id,
    row.actor_key_id,
    row.actor_name,
    row.action,
    row.bu_id,
    row.resource_type,
    row.resource_id,
    row.before_json,
    row.after_json,
    row.address,
    row.request_id,
    row.prev_hash,
    row.hash,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}
