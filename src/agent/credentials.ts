import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What an enrolled agent keeps on its machine (JSON, mode 0600). */
export interface AgentCredentials {
  readonly version: 1;
  readonly serverUrl: string;
  /** Pinned certificate fingerprints (current, and the next one announced by the server). */
  readonly pins: readonly string[];
  /** Bearer credential of the agent. */
  readonly credential: string;
  readonly dataSourceId: string;
  readonly name: string;
  readonly buId: string;
  readonly vaultId: string;
  /** Raw 256-bit key of the agent's key slot in its vault (base64). */
  readonly agentKey: string;
  readonly hostname: string;
  /** Recovery key the vault's recovery slot is wrapped to (null: none yet). */
  readonly recoveryKeyId: string | null;
}

/** Where the agent keeps its state by default: `$COFFER_AGENT_DIR` or `~/.config/coffer-agent`. */
export function defaultAgentDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.COFFER_AGENT_DIR ?? join(homedir(), '.config', 'coffer-agent');
}

export function credentialsPath(directory: string): string {
  return join(directory, 'agent.json');
}

/** Reads the credentials; a clear error when the agent is not enrolled. */
export function readCredentials(directory: string): AgentCredentials {
  const path = credentialsPath(directory);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`this machine is not enrolled (no ${path}); run: coffer agent enroll --token …`);
    }
    throw error;
  }
  const value = JSON.parse(text) as AgentCredentials;
  if (value.version !== 1 || typeof value.credential !== 'string')
    throw new Error(`${path} is not an agent credential file`);
  return value;
}

/** Writes the credentials atomically, readable by the owner only (0600, folder 0700). */
export function writeCredentials(directory: string, credentials: AgentCredentials): void {
  const path = credentialsPath(directory);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The agent's vault key as bytes. */
export function agentKeyOf(credentials: AgentCredentials): Uint8Array {
  return Buffer.from(credentials.agentKey, 'base64');
}
