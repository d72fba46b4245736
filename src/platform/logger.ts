import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

/**
 * Field paths never written to logs. Request bodies are not logged at all; these catch
 * secrets that reach log calls through objects.
 */
export const redactedPaths: readonly string[] = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'passphrase',
  '*.passphrase',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** Structured JSON logger (pino) with secrets redacted. */
export function createLogger(options: { level: LogLevel; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: [...redactedPaths], censor: '[redacted]' }, base: { service: 'coffer' } },
    options.destination ?? process.stdout,
  );
}
