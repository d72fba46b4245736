import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { ConfigError } from '../platform/index.ts';

/** The certificate and key the HTTPS listener serves, with what agents pin. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as browsers show it). */
  readonly fingerprint256: string;
  readonly validTo: Date;
  /** True when Coffer generated it (self-signed, under the data directory). */
  readonly selfSigned: boolean;
}

function readPem(path: string, variable: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/**
 * Checks that a PEM certificate and key pair is usable: parseable, matching, and not
 * expired (nor not yet valid) at `now`. Throws ConfigError with one clear line.
 */
export function validateTls(
  cert: string,
  key: string,
  now: number,
  names = { cert: 'COFFER_TLS_CERT', key: 'COFFER_TLS_KEY' },
): TlsMaterial {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`${names.cert}: not a PEM certificate`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`${names.key}: not a PEM private key (encrypted keys are not supported)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${names.key}: the private key does not match the certificate in ${names.cert}`);
  }
  const validTo = new Date(certificate.validTo);
  if (validTo.getTime() <= now) {
    throw new ConfigError(`${names.cert}: the certificate expired on ${validTo.toISOString()}`);
  }
  const validFrom = new Date(certificate.validFrom);
  if (validFrom.getTime() > now) {
    throw new ConfigError(`${names.cert}: the certificate is not valid before ${validFrom.toISOString()}`);
  }
  return { cert, key, fingerprint256: certificate.fingerprint256, validTo, selfSigned: false };
}

/** Loads the configured certificate and key files. */
export function loadTlsFiles(certPath: string, keyPath: string, now: number): TlsMaterial {
  const cert = readPem(certPath, 'COFFER_TLS_CERT', 'certificate');
  const key = readPem(keyPath, 'COFFER_TLS_KEY', 'private key');
  return validateTls(cert, key, now);
}

const selfSignedDays = 825;

/**
 * Creates a self-signed ECDSA P-256 certificate for this host (names: localhost, the host
 * name, 127.0.0.1, ::1 and `extraNames`). Agents pin its fingerprint at enrolment.
 */
export async function createSelfSigned(
  now: number,
  extraNames: readonly string[] = [],
): Promise<{ cert: string; key: string }> {
  // Loaded only when a certificate is generated; @peculiar/x509 needs the Reflect polyfill.
  await import('reflect-metadata');
  const x509: typeof X509 = await import('@peculiar/x509');
  const crypto = webcrypto;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const host = hostname();
  const dnsNames = [...new Set(['localhost', host, ...extraNames.filter((n) => !/^[\d.:]+$/.test(n))])];
  const ipNames = [...new Set(['127.0.0.1', '::1', ...extraNames.filter((n) => /^[\d.:]+$/.test(n))])];
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: `CN=Coffer server ${host}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + selfSignedDays * 86_400_000),
      signingAlgorithm: algorithm,
      keys: keys as unknown as X509.X509CertificateCreateSelfSignedParams['keys'],
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...ipNames.map((value) => ({ type: 'ip' as const, value })),
        ]),
      ],
    },
    crypto as unknown as Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem'), key };
}

/**
 * The embedded default: reuses `<dataDir>/tls/server.{crt,key}` or creates a self-signed
 * pair there on first start (key file mode 0600). Returns whether it was just created.
 */
export async function loadOrCreateSelfSigned(
  dataDir: string,
  now: number,
): Promise<TlsMaterial & { created: boolean }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const material = validateTls(readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8'), now, {
      cert: certPath,
      key: keyPath,
    });
    return { ...material, selfSigned: true, created: false };
  }
  const { cert, key } = await createSelfSigned(now);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, key, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, cert);
  const material = validateTls(cert, key, now);
  return { ...material, selfSigned: true, created: true };
}
