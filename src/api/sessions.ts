// Browser sessions of the dashboard: an API key is exchanged once (POST /v1/session) for a random
// session id in an HttpOnly, SameSite=Strict cookie, so the key never sits in a URL, a log or the
// browser's history. Held in this process only (an LRU with a sliding TTL); a restart or another
// API replica means signing in again. Only sha256(id) is kept as the key, so a heap dump holds no
// usable session id. Every state-changing request of a session must echo its CSRF token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { LRUCache } from 'lru-cache';
import type { Principal } from './auth';

export const SESSION_COOKIE = 'ty_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session extends Principal {
  csrfToken: string;
  createdAt: number;
  /** Sliding: now + ttl on every use, never past createdAt + maxAge. */
  expiresAt: number;
}

export interface SessionStoreOptions {
  /** Idle lifetime: a session unused this long is gone. */
  ttlMs: number;
  /** Absolute lifetime, however active the session is. */
  maxAgeMs: number;
  /** Most sessions held (the least recently used go first). */
  max?: number;
  now?: () => number;
}

const hashOf = (id: string) => createHash('sha256').update(id, 'utf8').digest('base64url');
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  private readonly held: LRUCache<string, Session>;
  private readonly now: () => number;

  constructor(private readonly opts: SessionStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.held = new LRUCache<string, Session>({ max: opts.max ?? 10_000 });
  }

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  /** A new session for the principal: its id (for the cookie only) and the session. */
  create(p: Principal): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = {
      owner: p.owner,
      admin: p.admin,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: at,
      expiresAt: Math.min(at + this.opts.ttlMs, at + this.opts.maxAgeMs),
    };
    this.held.set(hashOf(id), session);
    return { id, session };
  }

  /** The live session of an id (its expiry pushed on), or undefined when unknown, expired or signed out. */
  touch(id: string | undefined): Session | undefined {
    if (!id || !ID_RE.test(id)) return undefined;
    const key = hashOf(id);
    const s = this.held.get(key);
    if (!s) return undefined;
    const at = this.now();
    if (at >= s.expiresAt) {
      this.held.delete(key);
      return undefined;
    }
    s.expiresAt = Math.min(at + this.opts.ttlMs, s.createdAt + this.opts.maxAgeMs);
    return s;
  }

  delete(id: string | undefined): void {
    if (id && ID_RE.test(id)) this.held.delete(hashOf(id));
  }

  get size(): number {
    return this.held.size;
  }
}

/** The session id a request's Cookie header carries. */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  try {
    return parseCookies(cookieHeader)[SESSION_COOKIE];
  } catch {
    return undefined;
  }
}

/** Set-Cookie for a session (no Max-Age: the browser drops it when it closes; the server expires it sooner). */
export function sessionCookie(id: string, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    expires: new Date(0),
  });
}

/** The CSRF token a request carries matches the session's (constant time). */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 128) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
