/** Names of the browser-session cookies (docs/decisions/0006). */
export const sessionCookieName = 'coffer_session';
export const csrfCookieName = 'coffer_csrf';
export const csrfHeaderName = 'x-csrf-token';

/** Parses a `Cookie` header; the first occurrence of a name wins, malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    let value = part.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(value));
      } catch {
        // A value that is not valid percent-encoding cannot be one of ours.
      }
    }
  }
  return cookies;
}

export interface CookieOptions {
  httpOnly: boolean;
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

/** A `Set-Cookie` value: path `/`, SameSite=Lax, HttpOnly/Secure as asked. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`,
    'SameSite=Lax',
  ];
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The two cookies of a new session: the HttpOnly session token and the script-readable CSRF token. */
export function sessionCookies(
  issued: { token: string; csrfToken: string; expiresAt: number },
  now: number,
  secure: boolean,
): string[] {
  const maxAge = (issued.expiresAt - now) / 1000;
  return [
    serializeCookie(sessionCookieName, issued.token, { httpOnly: true, secure, maxAge }),
    serializeCookie(csrfCookieName, issued.csrfToken, { httpOnly: false, secure, maxAge }),
  ];
}

export function clearedSessionCookies(secure: boolean): string[] {
  return [
    serializeCookie(sessionCookieName, '', { httpOnly: true, secure, maxAge: 0 }),
    serializeCookie(csrfCookieName, '', { httpOnly: false, secure, maxAge: 0 }),
  ];
}
