import { randomBytes } from 'node:crypto';
import { randomToken } from './tokens.ts';

/**
 * API keys look like `coffer_<prefix>_<secret>`: the prefix (12 hex characters) finds
 * the row and is safe to show; the secret (256 bits, base64url) is stored only as its
 * SHA-256. The `coffer_` marker lets secret scanners recognise leaked keys.
 */
export function newApiKey(): { prefix: string; secret: string; token: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomToken(32);
  return { prefix, secret, token: `coffer_${prefix}_${secret}` };
}

export function parseApiKey(token: string): { prefix: string; secret: string } | null {
  const match = /^coffer_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  return match?.[1] && match[2] ? { prefix: match[1], secret: match[2] } : null;
}
