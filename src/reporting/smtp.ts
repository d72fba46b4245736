import nodemailer from 'nodemailer';
import { ConfigError, ValidationError } from '../platform/index.ts';
import { MailDeliveryError } from './errors.ts';
import type { SmtpSecurity } from './tables.ts';

/** How to reach an SMTP server. `password` is only ever held in memory and sealed at rest. */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** `tls`: TLS from the first byte (465); `starttls`: upgrade required (587); `none`: plain (local relays, tests). */
  readonly security: SmtpSecurity;
  readonly username: string | null;
  readonly password: string | null;
}

/** One e-mail, as the outbox hands it to a transport. */
export interface OutgoingMail {
  readonly messageId: string;
  readonly from: { readonly name: string; readonly address: string };
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: readonly {
    readonly cid: string;
    readonly filename: string;
    readonly contentType: string;
    readonly contentBase64: string;
  }[];
  readonly headers: Readonly<Record<string, string>>;
}

/** Sends mail; throws MailDeliveryError (`permanent` for SMTP 5xx refusals). */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export const smtpSecurities: readonly SmtpSecurity[] = ['tls', 'starttls', 'none'];

const hostPattern = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/;

/** Validates settings from a request or the environment; throws ValidationError naming the field. */
export function checkSmtpSettings(settings: SmtpSettings): SmtpSettings {
  if (typeof settings.host !== 'string' || !hostPattern.test(settings.host)) {
    throw new ValidationError('smtp.host must be a host name or address');
  }
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) {
    throw new ValidationError('smtp.port must be a whole number from 1 to 65535');
  }
  if (!smtpSecurities.includes(settings.security)) {
    throw new ValidationError(`smtp.security must be one of ${smtpSecurities.join(', ')}`);
  }
  if ((settings.username === null) !== (settings.password === null)) {
    throw new ValidationError('smtp.username and smtp.password must be given together');
  }
  return Object.freeze({ ...settings });
}

/**
 * The installation-wide SMTP server from the environment (COFFER_SMTP_HOST, _PORT,
 * _SECURITY, _USERNAME, _PASSWORD), or null when COFFER_SMTP_HOST is unset. A unit can
 * override it for its subtree through the API. Throws ConfigError naming the variable.
 */
export function smtpSettingsFromEnv(env: NodeJS.ProcessEnv): SmtpSettings | null {
  const host = env.COFFER_SMTP_HOST?.trim();
  if (!host) return null;
  const security = (env.COFFER_SMTP_SECURITY?.trim() || 'starttls') as SmtpSecurity;
  const port = env.COFFER_SMTP_PORT?.trim() ? Number(env.COFFER_SMTP_PORT) : security === 'tls' ? 465 : 587;
  try {
    return checkSmtpSettings({
      host,
      port,
      security,
      username: env.COFFER_SMTP_USERNAME?.trim() || null,
      password: env.COFFER_SMTP_PASSWORD || null,
    });
  } catch (error) {
    throw new ConfigError(`COFFER_SMTP_*: ${(error as Error).message}`);
  }
}

/** The sender used where a unit's brand names none (COFFER_MAIL_FROM, default `coffer@localhost`). */
export function defaultSenderFromEnv(env: NodeJS.ProcessEnv): string {
  const from = env.COFFER_MAIL_FROM?.trim() || 'coffer@localhost';
  if (!/^[^\s@<>"]+@[^\s@<>"]+$/.test(from)) throw new ConfigError('COFFER_MAIL_FROM must be an e-mail address');
  return from;
}

/** A nodemailer SMTP transport (one connection per message batch; closed by the caller). */
export function createSmtpTransport(settings: SmtpSettings, options: { timeoutMs?: number } = {}): MailTransport {
  const timeout = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    ...(settings.username !== null && settings.password !== null
      ? { auth: { user: settings.username, pass: settings.password } }
      : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // nodemailer's own logger could print the AUTH exchange; keep it off.
    logger: false,
    debug: false,
    pool: true,
    maxConnections: 1,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          messageId: mail.messageId,
          from: { name: mail.from.name, address: mail.from.address },
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { ...mail.headers },
          attachments: mail.attachments.map((a) => ({
            cid: a.cid,
            filename: a.filename,
            contentType: a.contentType,
            content: a.contentBase64,
            encoding: 'base64',
          })),
        });
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * A refusal with an SMTP 5xx reply to the envelope or message is permanent (the server will
 * say the same next time). Connection, TLS, timeout and authentication problems and 4xx
 * replies are transient: the settings or the server may be fixed meanwhile.
 */
function toDeliveryError(error: unknown): MailDeliveryError {
  const detail = error as { code?: string; responseCode?: number; message?: string };
  const code = detail.code ?? 'ERROR';
  const status = detail.responseCode;
  const permanent =
    typeof status === 'number' && status >= 500 && status < 600 && (code === 'EENVELOPE' || code === 'EMESSAGE');
  // The message may quote the server's reply; it never holds our credentials.
  const summary = `${code}${status ? ` ${status}` : ''}: ${(detail.message ?? 'send failed').slice(0, 300)}`;
  return new MailDeliveryError(summary, { permanent, cause: error });
}
