import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the receiving SMTP server saw and parsed it. */
export interface ReceivedMail {
  readonly envelopeTo: readonly string[];
  readonly from: { readonly name: string; readonly address: string };
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly headers: ReadonlyMap<string, unknown>;
  readonly attachments: readonly {
    readonly cid: string | undefined;
    readonly contentType: string;
    readonly size: number;
  }[];
}

/**
 * A real SMTP server (the `smtp-server` package) on loopback that parses every message with
 * `mailparser`. It can be stopped and started again on the same port, like a mail server
 * that goes down for a while.
 */
export interface SmtpReceiver {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** Recipients refused with `550 mailbox unavailable` (a permanent failure). */
  readonly refuse: Set<string>;
  /** Messages addressed to `address` (envelope recipients). */
  to(address: string): ReceivedMail[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const refuse = new Set<string>();
  let server: SMTPServer | undefined;
  let port = 0;

  function create(): SMTPServer {
    return new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (refuse.has(address.address)) {
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream, { skipImageLinks: true })
          .then((parsed) => {
            const from = parsed.from?.value[0];
            messages.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              from: { name: from?.name ?? '', address: from?.address ?? '' },
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              headers: parsed.headers,
              attachments: parsed.attachments.map((a) => ({ cid: a.cid, contentType: a.contentType, size: a.size })),
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
  }

  async function start(): Promise<void> {
    server = create();
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.server.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
    port = (listening.server.address() as AddressInfo).port;
  }

  await start();
  return {
    get port() {
      return port;
    },
    messages,
    refuse,
    to: (address) => messages.filter((m) => m.envelopeTo.includes(address)),
    async stop() {
      const running = server;
      server = undefined;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
    start,
  };
}
