import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { defaultAgentDirectory, readCredentials } from './credentials.ts';

function readSecretFile(path: string | undefined, what: string): string | undefined {
  if (!path) return undefined;
  const text = readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '';
  if (text.length === 0) throw new Error(`${what} file ${path} is empty`);
  return text;
}

function directoryOption(): Option {
  return new Option('--dir <directory>', 'where the agent keeps its credential (0600)')
    .env('COFFER_AGENT_DIR')
    .default(defaultAgentDirectory({}));
}

function recoveryOption(): Option {
  return new Option(
    '--recovery-passphrase-file <file>',
    'the unit recovery passphrase (first line), for shared vaults and restores of other machines',
  ).env('COFFER_RECOVERY_PASSPHRASE_FILE');
}

/** Registers `coffer agent …`: enroll, run, status and recovery-key (each loads its code when run). */
export function registerAgentCommands(program: Command): void {
  const agent = program
    .command('agent')
    .description('The Coffer agent: enrol this machine, run its backups and restores');

  agent
    .command('enroll')
    .description('Enrol this machine with a one-time token (pins the server certificate the token names)')
    .addOption(
      new Option('--token <token>', 'enrolment token (cfe1.…)').env('COFFER_ENROLMENT_TOKEN').makeOptionMandatory(),
    )
    .addOption(new Option('--server <url>', 'server URL (default: the one in the token)').env('COFFER_SERVER'))
    .addOption(directoryOption())
    .addOption(new Option('--hostname <name>', 'name this machine reports').env('COFFER_AGENT_HOSTNAME'))
    .addOption(recoveryOption())
    .addOption(
      new Option('--pack-size <bytes>', 'pack size of a new vault (64 KiB to 64 MiB; default 16 MiB)')
        .env('COFFER_AGENT_PACK_SIZE')
        .argParser((value) => Number(value)),
    )
    .addOption(new Option('--json', 'print machine-readable JSON').env('COFFER_JSON'))
    .action(
      async (options: {
        packSize?: number;
        token: string;
        server?: string;
        dir: string;
        hostname?: string;
        recoveryPassphraseFile?: string;
        json?: boolean;
      }) => {
        const { enrol } = await import('./enrol.ts');
        const credentials = await enrol({
          token: options.token,
          directory: options.dir,
          ...(options.server ? { server: options.server } : {}),
          ...(options.hostname ? { hostname: options.hostname } : {}),
          ...(options.packSize ? { packSize: options.packSize } : {}),
          ...(options.recoveryPassphraseFile
            ? { recoveryPassphrase: readSecretFile(options.recoveryPassphraseFile, 'recovery passphrase') }
            : {}),
        });
        const summary = {
          dataSourceId: credentials.dataSourceId,
          name: credentials.name,
          vaultId: credentials.vaultId,
          server: credentials.serverUrl,
          pinned: credentials.pins,
          recoveryKeyId: credentials.recoveryKeyId,
        };
        process.stdout.write(
          options.json
            ? `${JSON.stringify(summary)}\n`
            : `Enrolled as ${summary.name} (${summary.dataSourceId}); vault ${summary.vaultId}${summary.pinned.length > 0 ? `; pinned certificate ${summary.pinned[0]}` : ''}\n`,
        );
      },
    );

  agent
    .command('run')
    .description('Run the agent: wait for due jobs, run backups and restores, report outcomes')
    .addOption(directoryOption())
    .addOption(new Option('--once', 'handle the jobs due now, then exit'))
    .addOption(
      new Option('--wait <seconds>', 'long-poll wait')
        .env('COFFER_AGENT_WAIT')
        .default(30)
        .argParser((v) => Number(v)),
    )
    .addOption(recoveryOption())
    .action(async (options: { dir: string; once?: boolean; wait: number; recoveryPassphraseFile?: string }) => {
      const stop = () => process.exit(0);
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      const passphrase = readSecretFile(options.recoveryPassphraseFile, 'recovery passphrase');
      const { runDaemon } = await import('./daemon.ts');
      await runDaemon({
        directory: options.dir,
        waitSeconds: options.wait,
        ...(options.once ? { once: true } : {}),
        ...(passphrase ? { recoveryPassphrase: passphrase } : {}),
      });
    });

  agent
    .command('status')
    .description('Show what this machine is enrolled as (no secrets)')
    .addOption(directoryOption())
    .addOption(new Option('--json', 'print machine-readable JSON').env('COFFER_JSON'))
    .action((options: { dir: string; json?: boolean }) => {
      const credentials = readCredentials(options.dir);
      const summary = {
        dataSourceId: credentials.dataSourceId,
        name: credentials.name,
        buId: credentials.buId,
        vaultId: credentials.vaultId,
        server: credentials.serverUrl,
        pinned: credentials.pins,
        recoveryKeyId: credentials.recoveryKeyId,
      };
      process.stdout.write(
        options.json
          ? `${JSON.stringify(summary)}\n`
          : `${Object.entries(summary)
              .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : (value ?? '-')}`)
              .join('\n')}\n`,
      );
    });

  agent
    .command('recovery-key')
    .description(
      "Create or rotate a unit's recovery key: made and sealed here under the passphrase; the server never sees it",
    )
    .addOption(new Option('--server <url>', 'server URL').env('COFFER_SERVER').makeOptionMandatory())
    .addOption(
      new Option('--api-key <key>', 'API key of an administrator of the unit')
        .env('COFFER_API_KEY')
        .makeOptionMandatory(),
    )
    .addOption(new Option('--unit <id>', 'business unit ID').makeOptionMandatory())
    .addOption(new Option('--passphrase-file <file>', 'the new passphrase (first line)').makeOptionMandatory())
    .addOption(new Option('--old-passphrase-file <file>', 'the current passphrase, to re-wrap every vault on rotation'))
    .addOption(
      new Option('--fingerprint <sha256>', 'pin the server certificate (self-signed servers)').env(
        'COFFER_SERVER_FINGERPRINT',
      ),
    )
    .action(
      async (options: {
        server: string;
        apiKey: string;
        unit: string;
        passphraseFile: string;
        oldPassphraseFile?: string;
        fingerprint?: string;
      }) => {
        const { setUnitRecoveryKey } = await import('./recovery-admin.ts');
        const result = await setUnitRecoveryKey({
          server: options.server,
          apiKey: options.apiKey,
          unitId: options.unit,
          passphrase: readSecretFile(options.passphraseFile, 'passphrase')!,
          ...(options.oldPassphraseFile
            ? { oldPassphrase: readSecretFile(options.oldPassphraseFile, 'old passphrase')! }
            : {}),
          ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
        });
        process.stdout.write(`Recovery key ${result.keyId} set; ${result.rewrapped} vault(s) re-wrapped\n`);
      },
    );
}
