import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238 parameters every authenticator app understands. */
export const totpPeriodSeconds = 30;
const digits = 6;
const algorithm = 'SHA1';
const issuer = 'Coffer';

/** A fresh 160-bit shared secret, base32 (RFC 4226 recommends at least 128 bits). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm,
    digits,
    period: totpPeriodSeconds,
  });
}

/** The `otpauth://totp/…` URI an authenticator app scans. */
export function otpauthUri(secretBase32: string, accountEmail: string): string {
  return totpFor(secretBase32, accountEmail).toString();
}

/** The URI as an SVG QR code, for the enrolment screen. */
export function qrCodeSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The time step (counter) of an instant. */
export function stepAt(timestampMs: number): number {
  return Math.floor(timestampMs / 1000 / totpPeriodSeconds);
}

/** The code for `step`; for tests and for showing the clock drift of a device. */
export function codeAtStep(secretBase32: string, step: number): string {
  return totpFor(secretBase32, 'x').generate({ timestamp: step * totpPeriodSeconds * 1000 });
}

/**
 * The time step `code` belongs to, if it is valid at `now` within ±1 step of clock drift;
 * null otherwise. Replay protection (each step once) is the caller's job.
 */
export function matchingStep(secretBase32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secretBase32, 'x').validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : stepAt(now) + delta;
}

const recoveryAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
export const recoveryCodeCount = 10;

/** Ten single-use recovery codes, `xxxx-xxxx-xxxx-xxxx` (≈ 79 bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: recoveryCodeCount }, () => {
    let code = '';
    for (let i = 0; i < 16; i++) {
      if (i > 0 && i % 4 === 0) code += '-';
      code += recoveryAlphabet[randomInt(recoveryAlphabet.length)];
    }
    return code;
  });
}

/** What users type back: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
