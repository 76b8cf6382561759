// Dashboard sign-in / session / sign-out. The key travels once, in a JSON body; what comes back is
// an HttpOnly, SameSite=Strict cookie (never readable by the page's script) and, in the body, the
// CSRF token the page sends on every request that changes something.
import type { Request } from 'express';
import { LRUCache } from 'lru-cache';
import type { SessionView } from '../../http/contracts';
import type { ResolvedDeps } from '../deps';
import { HttpError } from '../errors';
import type { RouteHandlers } from '../route-table';
import { clearedSessionCookie, sessionCookie, sessionIdOf, type Session } from '../sessions';

/** Failed sign-ins allowed per client address per window before 429. */
const MAX_FAILURES = 20;
const FAILURE_WINDOW_MS = 60_000;

export function sessionHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'signIn' | 'getSession' | 'signOut'> {
  const failures = new LRUCache<string, { n: number }>({ max: 10_000, ttl: FAILURE_WINDOW_MS });
  const secure = (req: Request) => (d.config.api.cookieSecure === 'auto' ? req.secure : d.config.api.cookieSecure);
  const view = (s: Session): SessionView => ({
    owner: s.owner,
    admin: s.admin,
    csrfToken: s.csrfToken,
    expiresAt: new Date(s.expiresAt).toISOString(),
    ...(d.config.api.temporalUiUrl && {
      temporalUi: { url: d.config.api.temporalUiUrl, namespace: d.config.temporal.namespace },
    }),
  });
  return {
    async signIn({ body, req }) {
      const from = req.socket.remoteAddress ?? 'unknown';
      const failed = failures.get(from);
      if (failed && failed.n >= MAX_FAILURES)
        throw new HttpError(429, 'too_many_attempts', 'too many failed sign-ins from this address: wait a minute');
      const principal = d.keys.authenticate(body.apiKey);
      if (!principal) {
        failures.set(from, { n: (failed?.n ?? 0) + 1 });
        throw new HttpError(401, 'unauthorized', 'unknown API key', [
          { path: 'body.apiKey', message: 'not a valid key' },
        ]);
      }
      // A sign-in replaces the session the browser held, if any.
      d.sessions.delete(sessionIdOf(req.get('cookie')));
      const { id, session } = d.sessions.create(principal);
      return {
        status: 201,
        headers: { 'Set-Cookie': sessionCookie(id, secure(req)), 'Cache-Control': 'no-store' },
        body: view(session),
      };
    },

    async getSession({ req }) {
      const s = d.sessions.touch(sessionIdOf(req.get('cookie')));
      if (!s) throw new HttpError(401, 'session_expired', 'the session has expired or was signed out: sign in again');
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: view(s) };
    },

    async signOut({ req }) {
      d.sessions.delete(sessionIdOf(req.get('cookie')));
      return { status: 200, headers: { 'Set-Cookie': clearedSessionCookie(secure(req)) }, body: { signedOut: true } };
    },
  };
}
