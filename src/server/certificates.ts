import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, type Config, ConflictError, ValidationError } from '../platform/index.ts';
import { createSelfSigned, type TlsMaterial, validateTls } from './tls.ts';

/** The announced successor of the served certificate. */
export interface NextCertificate {
  readonly fingerprint256: string;
  readonly validTo: Date;
  /** Whether this server holds its key (then it can switch to it through the API). */
  readonly activatable: boolean;
}

/**
 * Certificate rotation that keeps pinned agents connected: an operator announces the next
 * certificate first; agents learn its fingerprint from `GET /api/v1/server/certificate`
 * over the current, pinned connection and accept either; then the operator activates it.
 * With configured files (COFFER_TLS_CERT/KEY) only the announcement is managed here; the
 * switch is replacing the files and sending SIGHUP.
 */
export interface CertificateManager {
  current(): TlsMaterial | undefined;
  next(): NextCertificate | undefined;
  /** Announces `certificate` (and stores `privateKey` for activation when given), or a generated one. */
  announce(input: { certificatePem?: string; privateKeyPem?: string; generate?: boolean }): Promise<NextCertificate>;
  /** Serves the announced certificate from now on. */
  activate(): Promise<TlsMaterial>;
  /** Withdraws the announcement. */
  withdraw(): void;
}

function describeNext(material: TlsMaterial, activatable: boolean): NextCertificate {
  return { fingerprint256: material.fingerprint256, validTo: material.validTo, activatable };
}

/** A certificate announced without its key (it will arrive as files): parsed and date-checked. */
function certificateOnly(pem: string, now: number): TlsMaterial {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new ValidationError('certificatePem: not a PEM certificate');
  }
  const validTo = new Date(certificate.validTo);
  if (validTo.getTime() <= now)
    throw new ValidationError(`certificatePem: the certificate expired on ${validTo.toISOString()}`);
  return { cert: pem, key: '', fingerprint256: certificate.fingerprint256, validTo, selfSigned: false };
}

export function createCertificateManager(options: {
  config: Config;
  clock: Clock;
  current: () => TlsMaterial | undefined;
  /** Re-reads the served certificate from disk and installs it on the listener. */
  reload: () => Promise<TlsMaterial | undefined>;
}): CertificateManager {
  const dir = join(options.config.dataDir, 'tls');
  const nextCertPath = join(dir, 'next.crt');
  const nextKeyPath = join(dir, 'next.key');
  const managed = options.config.tlsCert === null;

  function readNext(): { material: TlsMaterial; activatable: boolean } | undefined {
    if (!existsSync(nextCertPath)) return undefined;
    const cert = readFileSync(nextCertPath, 'utf8');
    if (existsSync(nextKeyPath)) {
      return {
        material: validateTls(cert, readFileSync(nextKeyPath, 'utf8'), options.clock.now()),
        activatable: managed,
      };
    }
    return { material: certificateOnly(cert, options.clock.now()), activatable: false };
  }

  return {
    current: options.current,
    next() {
      const found = readNext();
      return found ? describeNext(found.material, found.activatable) : undefined;
    },
    async announce(input) {
      if (options.config.tlsPort === null || !options.current()) throw new ConflictError('HTTPS is off on this server');
      let certificatePem = input.certificatePem;
      let privateKeyPem = input.privateKeyPem;
      if (input.generate) {
        if (!managed)
          throw new ConflictError('certificate files are configured (COFFER_TLS_CERT); announce a certificate instead');
        ({ cert: certificatePem, key: privateKeyPem } = await createSelfSigned(options.clock.now()));
      }
      if (!certificatePem) throw new ValidationError('give certificatePem, or generate: true');
      let material: TlsMaterial;
      try {
        material = privateKeyPem
          ? validateTls(certificatePem, privateKeyPem, options.clock.now(), {
              cert: 'certificatePem',
              key: 'privateKeyPem',
            })
          : certificateOnly(certificatePem, options.clock.now());
      } catch (error) {
        throw new ValidationError((error as Error).message);
      }
      if (material.fingerprint256 === options.current()?.fingerprint256) {
        throw new ConflictError('that certificate is the one being served');
      }
      writeFileSync(nextCertPath, certificatePem);
      rmSync(nextKeyPath, { force: true });
      if (privateKeyPem) writeFileSync(nextKeyPath, privateKeyPem, { mode: 0o600 });
      return describeNext(material, Boolean(privateKeyPem) && managed);
    },
    async activate() {
      const found = readNext();
      if (!found) throw new ConflictError('no certificate has been announced');
      if (!found.activatable) {
        throw new ConflictError(
          managed
            ? 'the announced certificate came without its private key'
            : 'certificate files are configured: replace COFFER_TLS_CERT/KEY and send SIGHUP',
        );
      }
      // Replace key and certificate by rename, so a crash leaves one whole pair.
      writeFileSync(join(dir, 'server.key.new'), found.material.key, { mode: 0o600 });
      writeFileSync(join(dir, 'server.crt.new'), found.material.cert);
      renameSync(join(dir, 'server.key.new'), join(dir, 'server.key'));
      renameSync(join(dir, 'server.crt.new'), join(dir, 'server.crt'));
      rmSync(nextCertPath, { force: true });
      rmSync(nextKeyPath, { force: true });
      const served = await options.reload();
      if (!served) throw new ConflictError('HTTPS is off on this server');
      return served;
    },
    withdraw() {
      rmSync(nextCertPath, { force: true });
      rmSync(nextKeyPath, { force: true });
    },
  };
}
