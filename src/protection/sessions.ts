import { ConflictError, ForbiddenError, NotFoundError, newId } from '../platform/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { type ProtectionDb, protectionDb } from './db.ts';
import { closeSession, extendSession, findSession, insertSession, type SessionRow } from './index-store.ts';
import { findJob, restoreJobsReading } from './job-store.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { findVault, type VaultRow } from './source-store.ts';
import type { VaultAccess } from './upload.ts';

/**
 * The vault an agent may reach: its data source's own, or the vault a restore job of its
 * own asks it to read (restore on another machine). Anything else is NotFoundError, so
 * another tenant's vault looks exactly like one that does not exist.
 */
export async function agentVault(rt: ProtectionRuntime, agent: AgentIdentity, vaultId: string): Promise<VaultRow> {
  const db = protectionDb(rt.database);
  const vault = await findVault(db, vaultId);
  if (!vault) throw new NotFoundError('Vault');
  if (vault.id === agent.vaultId) return vault;
  if ((await restoreJobsReading(db, agent.dataSourceId, vaultId)).length > 0) return vault;
  throw new NotFoundError('Vault');
}

/** Resolves the vault and (optional) session of one agent request, renewing the session's lease. */
export async function vaultAccess(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  vaultId: string,
  sessionId: string | undefined,
): Promise<VaultAccess> {
  const vault = await agentVault(rt, agent, vaultId);
  let session: SessionRow | undefined;
  if (sessionId) {
    const db = protectionDb(rt.database);
    session = await findSession(db, sessionId);
    if (!session || session.data_source_id !== agent.dataSourceId || session.vault_id !== vault.id) {
      throw new NotFoundError('Session');
    }
    if (session.closed_at !== null) await refuseClosedSession(db, session);
    const now = rt.clock.now();
    // An expired lease is renewed too: a sweep re-checks references, so renewing is safe.
    if (session.lease_until - now < rt.limits.sessionLeaseMs / 2) {
      await extendSession(db, session.id, now + rt.limits.sessionLeaseMs);
    }
  }
  return { agent, vault, store: await rt.zones.vaultStore(vault), session };
}

/** Refuses a request on a closed session, saying so plainly when its job was cancelled. */
async function refuseClosedSession(db: ProtectionDb, session: SessionRow): Promise<never> {
  const job = session.job_id ? await findJob(db, session.job_id) : undefined;
  if (job?.status === 'cancelled') {
    throw new ConflictError('the job of this session was cancelled; nothing more is accepted for it', {
      reason: 'job_cancelled',
      jobId: job.id,
    });
  }
  throw new ConflictError('this session is closed; open a new one');
}

/**
 * Opens an upload (backup) or read (restore) session on a vault. Its lease keeps the packs
 * it sends, and the packs it may read, safe from garbage collection while it lasts.
 */
export async function openSession(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  input: { vaultId: string; kind: 'backup' | 'restore'; jobId?: string },
): Promise<{ sessionId: string; leaseMs: number; vaultId: string }> {
  const vault = await agentVault(rt, agent, input.vaultId);
  if (input.kind === 'backup' && vault.id !== agent.vaultId) {
    throw new ForbiddenError('an agent backs up into its own vault only');
  }
  const db = protectionDb(rt.database);
  if (input.jobId) {
    const job = await findJob(db, input.jobId);
    if (!job || job.data_source_id !== agent.dataSourceId) throw new NotFoundError('Job');
    if (job.vault_id !== vault.id) throw new ConflictError('the job is about another vault');
  }
  const now = rt.clock.now();
  const id = newId(now);
  await insertSession(db, {
    id,
    vault_id: vault.id,
    data_source_id: agent.dataSourceId,
    job_id: input.jobId ?? null,
    kind: input.kind,
    started_at: now,
    lease_until: now + rt.limits.sessionLeaseMs,
    closed_at: null,
    bytes_received: 0,
    packs_received: 0,
    bytes_added: 0,
  });
  return { sessionId: id, leaseMs: rt.limits.sessionLeaseMs, vaultId: vault.id };
}

/** Renews a session's lease (agents call this while busy without uploading). */
export async function renewSession(rt: ProtectionRuntime, agent: AgentIdentity, sessionId: string): Promise<void> {
  const db = protectionDb(rt.database);
  const session = await findSession(db, sessionId);
  if (!session || session.data_source_id !== agent.dataSourceId) throw new NotFoundError('Session');
  if (session.closed_at !== null) await refuseClosedSession(db, session);
  await extendSession(db, sessionId, rt.clock.now() + rt.limits.sessionLeaseMs);
}

/** Ends a session; its packs are then protected only by the grace period until a snapshot references them. */
export async function endSession(rt: ProtectionRuntime, agent: AgentIdentity, sessionId: string): Promise<void> {
  const db = protectionDb(rt.database);
  const session = await findSession(db, sessionId);
  if (!session || session.data_source_id !== agent.dataSourceId) throw new NotFoundError('Session');
  await closeSession(db, sessionId, rt.clock.now());
}
