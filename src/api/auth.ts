// X-API-Key → owner. Keys come from TRAINYARD_API_KEYS (`owner:key[:admin]`, comma-separated) or
// the file TRAINYARD_API_KEYS_FILE (same entries, one per line or comma-separated, # comments).
// Only sha256 hashes are held, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OWNER_RE } from '../domain/snapshot';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthMode } from '../http/routes';
import { HttpError } from './errors';
import { CSRF_HEADER, csrfMatches, sessionIdOf, type SessionStore } from './sessions';

export interface Principal {
  owner: string;
  admin: boolean;
}

interface KeyEntry extends Principal {
  hash: Buffer;
}

export interface ApiKeyStore {
  /** The principal of a presented key, or undefined. */
  authenticate(key: string | undefined): Principal | undefined;
  readonly size: number;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Parses `owner:key[:admin]` entries; throws naming the bad entry (without echoing the key). */
export function parseApiKeys(text: string): { owner: string; key: string; admin: boolean }[] {
  const entries = text
    .split(/[,\n]/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
  return entries.map((entry, i) => {
    const parts = entry.split(':');
    const [owner, key, flag] = parts;
    if (parts.length < 2 || parts.length > 3 || !owner || !key)
      throw new Error(`API key entry ${i + 1}: expected owner:key[:admin]`);
    if (!OWNER_RE.test(owner))
      throw new Error(`API key entry ${i + 1}: owner "${owner}" must match ${OWNER_RE.source}`);
    if (key.length < 8) throw new Error(`API key entry ${i + 1} (owner ${owner}): key must have at least 8 characters`);
    if (flag !== undefined && flag !== 'admin')
      throw new Error(`API key entry ${i + 1} (owner ${owner}): the third field may only be "admin"`);
    return { owner, key, admin: flag === 'admin' };
  });
}

export function createKeyStore(entries: { owner: string; key: string; admin: boolean }[]): ApiKeyStore {
  const held: KeyEntry[] = entries.map((e) => ({ owner: e.owner, admin: e.admin, hash: sha256(e.key) }));
  return {
    size: held.length,
    authenticate(key) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 512) return undefined;
      const h = sha256(key);
      let found: KeyEntry | undefined;
      // Compare against every entry (no early exit), each in constant time.
      for (const e of held) if (timingSafeEqual(h, e.hash) && !found) found = e;
      return found ? { owner: found.owner, admin: found.admin } : undefined;
    },
  };
}

/** Keys from the config's TRAINYARD_API_KEYS and/or TRAINYARD_API_KEYS_FILE. */
export function loadKeyStore(opts: { apiKeys?: string; apiKeysFile?: string }): ApiKeyStore {
  const entries = [...(opts.apiKeys ? parseApiKeys(opts.apiKeys) : [])];
  if (opts.apiKeysFile) entries.push(...parseApiKeys(fs.readFileSync(opts.apiKeysFile, 'utf8')));
  return createKeyStore(entries);
}

/** A random key for development (`npm start` without configured keys). */
export function generateDevKey(): string {
  return `ty_dev_${randomBytes(18).toString('base64url')}`;
}

/** The parts of a request authentication looks at (an Express request or a WebSocket upgrade). */
export interface AuthRequest {
  headers: IncomingHttpHeaders;
  query: Record<string, unknown>;
  /** GET unless said (a WebSocket upgrade is a GET); anything else needs a session's CSRF token. */
  method?: string;
}

export interface AuthDeps {
  keys: ApiKeyStore;
  docs: { user: string; password?: string };
  /** Dashboard sessions (the `session` mode); without a store that mode never matches. */
  sessions?: SessionStore;
}

/** Authenticated: the caller (undefined for modes that do not name one: `none`, `docs`). */
export interface AuthOutcome {
  principal?: Principal;
}

/**
 * One auth mode: an outcome when its credentials are present and good, an HttpError when they are
 * present and bad, undefined when the request carries none of them (the next mode may).
 */
export type Authenticator = (req: AuthRequest, deps: AuthDeps) => AuthOutcome | HttpError | undefined;

function header(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function byApiKey(key: string | undefined, deps: AuthDeps): AuthOutcome | HttpError | undefined {
  if (key === undefined) return undefined;
  const principal = deps.keys.authenticate(key);
  return principal ? { principal } : new HttpError(401, 'unauthorized', 'invalid API key');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An Origin header, when the browser sent one, names this host (a cross-site page cannot use the session). */
function sameOrigin(req: AuthRequest): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === header(req, 'host');
  } catch {
    return false;
  }
}

function bySession(req: AuthRequest, deps: AuthDeps): AuthOutcome | HttpError | undefined {
  const id = sessionIdOf(header(req, 'cookie'));
  if (id === undefined || !deps.sessions) return undefined;
  const session = deps.sessions.touch(id);
  if (!session)
    return new HttpError(401, 'session_expired', 'the session has expired or was signed out: sign in again');
  if (!sameOrigin(req))
    return new HttpError(403, 'cross_origin', 'a session may only be used from the dashboard itself');
  if (!SAFE_METHODS.has((req.method ?? 'GET').toUpperCase()) && !csrfMatches(session, header(req, CSRF_HEADER)))
    return new HttpError(403, 'csrf_failed', `missing or wrong ${CSRF_HEADER} header (the session's CSRF token)`);
  return { principal: { owner: session.owner, admin: session.admin } };
}

const DOCS_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="trainyard-docs", charset="UTF-8"' };

/** Every auth mode of the route table (src/http/routes.ts AUTH_MODES). */
export const AUTHENTICATORS: Record<AuthMode, Authenticator> = {
  none: () => ({}),
  apiKey: (req, deps) => byApiKey(header(req, 'x-api-key'), deps),
  apiKeyQuery: (req, deps) =>
    byApiKey(header(req, 'x-api-key') ?? (typeof req.query.api_key === 'string' ? req.query.api_key : undefined), deps),
  session: bySession,
  docs: (req, deps) => {
    if (!deps.docs.password)
      return new HttpError(404, 'docs_disabled', 'API docs are disabled: set TRAINYARD_DOCS_PASSWORD');
    const want = sha256(`${deps.docs.user}:${deps.docs.password}`);
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header(req, 'authorization') ?? '');
    const got = m ? sha256(Buffer.from(m[1]!, 'base64').toString('utf8')) : undefined;
    if (got && timingSafeEqual(got, want)) return {};
    return new HttpError(
      401,
      'unauthorized',
      'docs need basic auth (TRAINYARD_DOCS_USER / TRAINYARD_DOCS_PASSWORD)',
      [],
      DOCS_CHALLENGE,
    );
  },
};

/** What a request without any credentials is told, per the route's first mode. */
const MISSING: Record<AuthMode, string> = {
  none: '',
  apiKey: 'missing X-API-Key header',
  apiKeyQuery: 'missing X-API-Key header (or api_key query parameter)',
  session: 'not signed in (no session cookie)',
  docs: 'docs need basic auth (TRAINYARD_DOCS_USER / TRAINYARD_DOCS_PASSWORD)',
};

/** What a request with `?api_key=` on a route that does not take it is told (see AUTH_MODES.apiKeyQuery). */
export const QUERY_KEY_REFUSED =
  'api_key in the query string is accepted only on the SSE route GET /v1/jobs/:id/events (for EventSource, ' +
  'which cannot send headers): a query string ends up in logs and proxies. Send the key in the X-API-Key ' +
  'header (WebSocket clients too), or sign in to the dashboard and use its session cookie';

/** Authenticates a request by the route's modes (any one will do); throws the HttpError to answer otherwise. */
export function authenticate(modes: readonly AuthMode[], req: AuthRequest, deps: AuthDeps): AuthOutcome {
  // A key where it does not belong is refused, never ignored: the caller learns it leaked.
  if (req.query.api_key !== undefined && !modes.includes('apiKeyQuery') && modes.some((m) => m === 'apiKey'))
    throw new HttpError(401, 'unauthorized', QUERY_KEY_REFUSED, [
      { path: 'query.api_key', message: 'not accepted on this route: use the X-API-Key header' },
    ]);
  let rejected: HttpError | undefined;
  for (const mode of modes) {
    const r = AUTHENTICATORS[mode](req, deps);
    if (r instanceof HttpError) rejected ??= r;
    else if (r) return r;
  }
  const first = modes[0] ?? 'apiKey';
  throw rejected ?? new HttpError(401, 'unauthorized', MISSING[first], [], first === 'docs' ? DOCS_CHALLENGE : {});
}
