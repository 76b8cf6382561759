// X-API-Key → owner. Keys come from TRAINYARD_API_KEYS (`owner:key[:admin]`, comma-separated) or
// the file TRAINYARD_API_KEYS_FILE (same entries, one per line or comma-separated, # comments).
// Only sha256 hashes are held, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

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

const OWNER_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

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
    if (parts.length < 2 || parts.length > 3 || !owner || !key) throw new Error(`API key entry ${i + 1}: expected owner:key[:admin]`);
    if (!OWNER_RE.test(owner)) throw new Error(`API key entry ${i + 1}: owner "${owner}" must match ${OWNER_RE.source}`);
    if (key.length < 8) throw new Error(`API key entry ${i + 1} (owner ${owner}): key must have at least 8 characters`);
    if (flag !== undefined && flag !== 'admin') throw new Error(`API key entry ${i + 1} (owner ${owner}): the third field may only be "admin"`);
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

/** Requires a valid X-API-Key; puts the principal in res.locals.principal. */
export function requireApiKey(store: ApiKeyStore, opts: { allowQueryKey?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    let key = req.get('x-api-key');
    if (key === undefined && opts.allowQueryKey && typeof req.query.api_key === 'string') key = req.query.api_key;
    if (key === undefined) return next(new ApiError(401, 'unauthorized', 'missing X-API-Key header'));
    const principal = store.authenticate(key);
    if (!principal) return next(new ApiError(401, 'unauthorized', 'invalid API key'));
    res.locals.principal = principal;
    next();
  };
}

/** Basic auth for the docs page; answers 401 with a challenge. */
export function basicAuth(user: string, password: string | undefined): RequestHandler {
  const want = sha256(`${user}:${password ?? ''}`);
  return (req, res, next) => {
    if (!password) return next(new ApiError(404, 'docs_disabled', 'API docs are disabled: set TRAINYARD_DOCS_PASSWORD'));
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '');
    const got = m ? sha256(Buffer.from(m[1]!, 'base64').toString('utf8')) : undefined;
    if (got && timingSafeEqual(got, want)) return next();
    res.set('WWW-Authenticate', 'Basic realm="trainyard-docs", charset="UTF-8"');
    next(new ApiError(401, 'unauthorized', 'docs need basic auth (TRAINYARD_DOCS_USER / TRAINYARD_DOCS_PASSWORD)'));
  };
}
