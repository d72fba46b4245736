import { ValidationError } from '../platform/index.ts';

/** Longest unit name, in characters (code points). */
export const MAX_NAME_LENGTH = 200;
/** Unit codes: short, safe in file names, host names and templates. */
export const CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

// C0/C1 controls and DEL, plus line separators and bidirectional overrides that let a
// name display differently from what it is (spoofing in the UI and in e-mails).
const forbiddenCharacters = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * Returns the name trimmed and NFC-normalised; throws ValidationError if it is empty,
 * longer than {@link MAX_NAME_LENGTH} characters or contains control characters.
 */
export function normalizeName(raw: string, field = 'name'): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new ValidationError(`${field} must not be empty`, { field });
  if ([...name].length > MAX_NAME_LENGTH) {
    throw new ValidationError(`${field} must be at most ${MAX_NAME_LENGTH} characters`, { field });
  }
  if (forbiddenCharacters.test(name)) {
    throw new ValidationError(`${field} must not contain control characters`, { field });
  }
  return name;
}

/** Returns the code unchanged (null for none); throws ValidationError unless it matches {@link CODE_PATTERN}. */
export function validateCode(code: string | null | undefined): string | null {
  if (code === null || code === undefined) return null;
  if (!CODE_PATTERN.test(code)) {
    throw new ValidationError('code must be 1-32 characters of A-Z, a-z, 0-9, "_" or "-"', { field: 'code' });
  }
  return code;
}

const colorPattern = /^#[0-9a-fA-F]{6}$/;

/** Returns the colour in lower case; throws ValidationError unless it is `#rrggbb`. */
export function normalizeColor(value: string, field: string): string {
  if (!colorPattern.test(value)) throw new ValidationError(`${field} must be a colour like #1a2b3c`, { field });
  return value.toLowerCase();
}

// Deliberately plain: one @, no spaces or controls, a dotted domain. Mail servers decide the rest.
const emailPattern =
  /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** Returns the address trimmed; throws ValidationError unless it looks like a deliverable address. */
export function normalizeEmailAddress(value: string, field: string): string {
  const address = value.trim();
  if (address.length > 254 || !emailPattern.test(address) || forbiddenCharacters.test(address)) {
    throw new ValidationError(`${field} must be an e-mail address like backup@example.com`, { field });
  }
  return address;
}

const hostLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** True when `host` (lower case, no trailing dot) is a DNS host name of two or more labels, not an IP address. */
export function isHostName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => hostLabel.test(l))) return false;
  // A numeric top-level label would make it an IPv4 address (or something resolvers read as one).
  return !/^[0-9]+$/.test(labels.at(-1) ?? '');
}

/**
 * Returns the host name trimmed, in lower case and without a trailing dot; throws
 * ValidationError unless it is a host name such as `backup.reseller.example` (ASCII or
 * punycode labels, no port, no IP address).
 */
export function normalizeHostName(value: string, field: string): string {
  const host = value.trim().toLowerCase().replace(/\.$/, '');
  if (!isHostName(host)) {
    throw new ValidationError(`${field} must be a host name like backup.example.com (no scheme, port or path)`, {
      field,
    });
  }
  return host;
}

/**
 * The host name of a `Host` header or `window.location.host` value: lower case, without
 * port and trailing dot; undefined when it is not a host name (an IP address, garbage).
 */
export function hostNameOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const host = raw
    .trim()
    .toLowerCase()
    .replace(/:[0-9]{1,5}$/, '')
    .replace(/\.$/, '');
  return isHostName(host) ? host : undefined;
}
