import type { ServerConnection } from './http-client.ts';

/** The server's answers the agent reads (docs/PROTOCOL.md); kept to the fields the agent uses. */

export interface EnrolResponse {
  readonly dataSourceId: string;
  readonly name: string;
  readonly buId: string;
  readonly credential: string;
  readonly vault: { readonly id: string; readonly initialised: boolean; readonly shared: boolean };
  readonly recoveryKey: { readonly id: string; readonly publicKey: string } | null;
}

export interface BackupSpec {
  readonly paths: readonly string[];
  readonly excludes: readonly string[];
  readonly full: boolean;
  readonly initial: boolean;
  readonly minimumInitialRate: number | null;
  readonly largeInitialBytes: number;
}

export interface RestoreSpec {
  readonly sourceDataSourceId: string;
  readonly vaultId: string;
  readonly snapshotId: string;
  readonly paths: readonly string[];
  readonly target: string | null;
  readonly viaRecovery: boolean;
}

export interface AgentJob {
  readonly id: string;
  readonly kind: 'backup' | 'restore';
  readonly trigger: string;
  readonly scheduledFor: string | null;
  readonly attempt: number;
  readonly backup: BackupSpec | null;
  readonly restore: RestoreSpec | null;
}

export interface PollResponse {
  readonly jobs: AgentJob[];
  readonly serverTime: string;
  readonly certificate: { readonly fingerprint256: string; readonly next?: string } | null;
  readonly recoveryKey: { readonly id: string; readonly publicKey: string } | null;
}

export interface JobOutcome {
  readonly outcome: 'success' | 'warning' | 'failed';
  readonly snapshotId?: string;
  readonly warnings?: readonly { path: string; error: string }[];
  readonly error?: string;
  readonly stats?: Record<string, number>;
  readonly linkRate?: number;
}

export interface VaultRecovery {
  readonly keyId: string;
  readonly envelope: import('./recovery-crypto.ts').RecoveryEnvelope;
  readonly publicKey: string;
  readonly sealedPrivateKey: import('./recovery-crypto.ts').SealedPrivateKey;
}

/** Typed calls of the agent protocol. */
export class AgentApi {
  readonly connection: ServerConnection;

  constructor(connection: ServerConnection) {
    this.connection = connection;
  }

  async poll(waitSeconds: number): Promise<PollResponse> {
    return (await this.connection.request('GET', '/api/v1/agent/jobs', { query: { wait: waitSeconds } })).json();
  }

  async start(jobId: string): Promise<AgentJob> {
    return (await this.connection.request('POST', `/api/v1/agent/jobs/${jobId}/start`, { body: {} })).json();
  }

  async progress(jobId: string, progress: Record<string, number>, linkRate?: number): Promise<{ cancel: boolean }> {
    return (
      await this.connection.request('POST', `/api/v1/agent/jobs/${jobId}/progress`, {
        body: { progress, ...(linkRate !== undefined ? { linkRate } : {}) },
      })
    ).json();
  }

  async finish(jobId: string, outcome: JobOutcome): Promise<void> {
    await this.connection.request('POST', `/api/v1/agent/jobs/${jobId}/finish`, { body: outcome });
  }

  async openSession(
    vaultId: string,
    kind: 'backup' | 'restore',
    jobId?: string,
  ): Promise<{ sessionId: string; leaseMs: number }> {
    return (
      await this.connection.request('POST', '/api/v1/agent/sessions', {
        body: { vaultId, kind, ...(jobId ? { jobId } : {}) },
      })
    ).json();
  }

  async renewSession(sessionId: string): Promise<void> {
    await this.connection.request('POST', `/api/v1/agent/sessions/${sessionId}/renew`, { body: {} });
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.connection.request('DELETE', `/api/v1/agent/sessions/${sessionId}`, { allow: [404, 409] });
  }

  /** The served certificate and its announced successor (GET /api/v1/server/certificate). */
  async serverCertificate(): Promise<{
    current: { fingerprint256: string } | null;
    next: { fingerprint256: string } | null;
  }> {
    return (await this.connection.request('GET', '/api/v1/server/certificate')).json();
  }

  async vaultRecovery(vaultId: string): Promise<VaultRecovery> {
    return (await this.connection.request('GET', `/api/v1/agent/vaults/${vaultId}/recovery`)).json();
  }

  async setVaultRecovery(vaultId: string, keyId: string, envelope: object): Promise<void> {
    await this.connection.request('PUT', `/api/v1/agent/vaults/${vaultId}/recovery`, { body: { keyId, envelope } });
  }
}
