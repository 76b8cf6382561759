// The one helper routes use to turn raw request parts into parsed values.
import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError, zodDetails } from './errors';
import type { Principal } from './auth';
import type { OwnerScope } from '../job-service/types';
import type { ErrorCode } from '../http/contracts';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 64;

/** Parses a value with a schema; a failure is a 400 listing every problem with its path. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params' | 'headers',
  code: ErrorCode = 'invalid_request',
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const details = zodDetails(r.error, where);
    throw new HttpError(
      400,
      code,
      `invalid ${where}: ${details
        .map((d) => `${d.path}: ${d.message}`)
        .join('; ')
        .slice(0, 500)}`,
      details,
    );
  }
  return r.data;
}

/** Rejects `__proto__` / `constructor` / `prototype` keys and absurd nesting anywhere in a JSON body. */
export function checkJsonShape(value: unknown): void {
  const bad: { path: string; message: string }[] = [];
  const stack: [unknown, string, number][] = [[value, 'body', 0]];
  while (stack.length && bad.length < 20) {
    const [v, path, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH) {
      bad.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${path}[${i}]`, depth + 1]));
    else
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) bad.push({ path: `${path}.${k}`, message: `key "${k}" is not allowed` });
        else stack.push([(v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1]);
      }
  }
  if (bad.length) {
    const depthOnly = bad.every((b) => b.message.startsWith('nested'));
    throw new HttpError(
      400,
      depthOnly ? 'too_deep' : 'forbidden_key',
      depthOnly
        ? 'request body is nested too deeply'
        : 'request body uses a forbidden key (__proto__, constructor, prototype)',
      bad,
    );
  }
}

/** Requires a JSON body (415 otherwise). An empty body is allowed when `optional`, and reads as {}. */
export function jsonBody(req: Request, opts: { optional?: boolean } = {}): unknown {
  const length = Number(req.get('content-length') ?? 0);
  const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
  if (!hasBody) {
    if (opts.optional) return {};
    throw new HttpError(400, 'missing_body', 'a JSON request body is required');
  }
  if (!req.is('application/json')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Content-Type must be application/json (got ${JSON.stringify((req.get('content-type') ?? '').slice(0, 100) || 'none')})`,
    );
  }
  const body: unknown = req.body;
  if (body === undefined) throw new HttpError(400, 'missing_body', 'a JSON request body is required');
  checkJsonShape(body);
  return body;
}

export function principalOf(res: { locals: Record<string, unknown> }): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new HttpError(401, 'unauthorized', 'missing X-API-Key header');
  return p;
}

/** The owner scope of a caller: admins see every job. */
export function scopeOf(p: Principal): OwnerScope {
  return p.admin ? {} : { owner: p.owner };
}
