import { randomBytes } from 'node:crypto';
import { hostname as osHostname, platform } from 'node:os';
import { AgentApi, type EnrolResponse } from './agent-api.ts';
import { type AgentCredentials, writeCredentials } from './credentials.ts';
import { decodeEnrolmentToken } from './enrolment-token.ts';
import { ServerConnection } from './http-client.ts';
import { setUpVault } from './vault-setup.ts';

export const agentVersion = '0.1.0';

/** Options of `coffer agent enroll`. */
export interface EnrolOptions {
  readonly token: string;
  /** Server URL; by default the one the token carries. */
  readonly server?: string;
  readonly directory: string;
  readonly hostname?: string;
  readonly recoveryPassphrase?: string;
  /** Pack size of a new vault (default: the engine's, 16 MiB). */
  readonly packSize?: number;
}

/**
 * Enrols this machine: pins the certificate fingerprint the token carries (or trusts the
 * system CAs when it carries none), exchanges the token for a credential, stores the
 * credential file (0600) with a fresh vault key, and sets up the vault.
 */
export async function enrol(options: EnrolOptions): Promise<AgentCredentials> {
  const token = decodeEnrolmentToken(options.token);
  const url = options.server ?? token.serverUrl;
  if (!url) throw new Error('the token names no server: give --server https://…');
  const pins = token.fingerprint && url.startsWith('https:') ? [token.fingerprint] : [];
  const anonymous = new ServerConnection({ url, pins, retryForMs: 10_000 });
  const hostname = options.hostname ?? osHostname();
  let enrolled: EnrolResponse;
  try {
    enrolled = (
      await anonymous.request('POST', '/api/v1/agent/enrol', {
        body: { token: options.token.trim(), hostname, os: platform(), agentVersion },
      })
    ).json<EnrolResponse>();
  } finally {
    anonymous.close();
  }
  let credentials: AgentCredentials = {
    version: 1,
    serverUrl: url,
    pins,
    credential: enrolled.credential,
    dataSourceId: enrolled.dataSourceId,
    name: enrolled.name,
    buId: enrolled.buId,
    vaultId: enrolled.vault.id,
    agentKey: randomBytes(32).toString('base64'),
    hostname,
    recoveryKeyId: null,
  };
  // Keep the credential before touching the vault: the token is spent now.
  writeCredentials(options.directory, credentials);
  const connection = new ServerConnection({ url, pins, credential: credentials.credential });
  try {
    credentials = await setUpVault(
      new AgentApi(connection),
      credentials,
      enrolled.recoveryKey,
      options.recoveryPassphrase,
      options.packSize,
    );
  } finally {
    connection.close();
  }
  writeCredentials(options.directory, credentials);
  return credentials;
}
