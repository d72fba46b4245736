import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Thrown when no passphrase source is available; the CLI maps it to exit code 1. */
export class PasswordUnavailableError extends Error {
  readonly code = 'password_unavailable';
}

async function prompt(question: string): Promise<string> {
  // Echo is suppressed by a muted output stream; the question itself goes to stderr.
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const reader = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => reader.question('', resolve));
  } finally {
    reader.close();
    process.stderr.write('\n');
  }
}

/**
 * The repository passphrase: `COFFER_PASSWORD`, else the first line of `--password-file`
 * (or `COFFER_PASSWORD_FILE`), else a prompt when stdin is a terminal (asked twice with
 * `confirm`). Throws `PasswordUnavailableError` otherwise.
 */
export async function readPassword(options: { passwordFile?: string | undefined; confirm?: boolean }): Promise<string> {
  const fromEnvironment = process.env['COFFER_PASSWORD'];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  const file = options.passwordFile ?? process.env['COFFER_PASSWORD_FILE'];
  if (file) {
    const content = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    if (content === '') throw new PasswordUnavailableError(`password file ${file} is empty`);
    return content;
  }
  if (!process.stdin.isTTY) {
    throw new PasswordUnavailableError('no password: set COFFER_PASSWORD, use --password-file, or run on a terminal');
  }
  const password = await prompt('Repository password: ');
  if (password === '') throw new PasswordUnavailableError('empty password');
  if (options.confirm && (await prompt('Repeat password: ')) !== password) {
    throw new PasswordUnavailableError('passwords do not match');
  }
  return password;
}
