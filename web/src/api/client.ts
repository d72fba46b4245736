// The one HTTP client of the console: openapi-fetch typed by the generated schema.d.ts.
// Cookie sessions need the CSRF token on unsafe methods (docs/decisions/0006); a 401 on
// anything but the sign-in calls means the session ended, which the app turns into the
// sign-in page with a message.
import createClient, { type Middleware } from 'openapi-fetch';
import { ApiError, toProblem } from './problem.ts';
import type { paths } from './schema.d.ts';

const csrfCookie = 'coffer_csrf';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Reads the script-readable CSRF cookie the server sets with the session. */
export function csrfToken(): string | null {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === csrfCookie) return decodeURIComponent(rest.join('='));
  }
  return null;
}

type SessionListener = (reason: 'expired') => void;
const sessionListeners = new Set<SessionListener>();

/** Called when a request answers 401 outside sign-in: the session is gone. */
export function onSessionEnded(listener: SessionListener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

const signInPaths = ['/api/v1/auth/sign-in', '/api/v1/auth/mfa', '/api/v1/me', '/api/v1/auth/invitations/accept'];

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (!safeMethods.has(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set('x-csrf-token', token);
    }
    return request;
  },
  onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status === 401 && !signInPaths.includes(path)) {
      for (const listener of sessionListeners) listener('expired');
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(sessionMiddleware);

/**
 * The data of an openapi-fetch result, or an {@link ApiError} carrying the problem+json.
 * Network failures become a problem with status 0.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch {
    throw new ApiError(toProblem(0, null));
  }
  if (!result.response.ok) throw new ApiError(toProblem(result.response.status, result.error));
  return result.data as T;
}
