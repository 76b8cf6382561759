// The dashboard's HTTP client: same-origin fetch with the session cookie (HttpOnly: the script never
// sees it), the CSRF token on every request that changes something, and the API's error shape
// turned into an ApiFailure that carries its code, message and per-field details.
import type { ClientErrorCode, ErrorBody, ErrorDetail, SessionView } from '../../src/http/contracts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    /** The API's ErrorCode, or 'http_error' (NO_ERROR_BODY) when the response had no ErrorBody. */
    readonly code: ClientErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

export function setSession(s: SessionView | undefined): void {
  csrfToken = s?.csrfToken;
}

/** Called when the API says the session is gone (expired, signed out elsewhere). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

function isErrorBody(v: unknown): v is ErrorBody {
  return typeof v === 'object' && v !== null && 'error' in v && typeof (v as ErrorBody).error?.message === 'string';
}

async function failureOf(res: Response): Promise<ApiFailure> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) return new ApiFailure(res.status, body.error.code, body.error.message, body.error.details);
  return new ApiFailure(res.status, 'http_error', `HTTP ${res.status} ${res.statusText}`);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** A request to the API; resolves to the Response (ok only), rejects with an ApiFailure. */
export async function request(url: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (res.ok) return res;
  const failure = await failureOf(res);
  if (res.status === 401 && url !== '/v1/session') onSignedOut?.();
  throw failure;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(url, signal ? { signal } : {})).json()) as T;
}

export async function postJson<T>(url: string, body: unknown = {}, method: 'POST' | 'DELETE' = 'POST'): Promise<T> {
  return (await (await request(url, { method, body })).json()) as T;
}

export const jobUrl = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
export const pageUrl = (id: string) => `/ui/jobs/${encodeURIComponent(id)}`;
