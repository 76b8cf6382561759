// One error shape for every response: { error: { code, message, details: [{ path, message }] } }.
// Client mistakes become 4xx with what was wrong; anything else is a generic 500 with a request
// id, logged in full on the server and never leaked to the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { InvalidKeyError } from '../storage/object-store';
import { issueDetails } from '../domain/issues';
import type { ErrorBody, ErrorCode } from '../http/contracts';
import type { RouteName } from '../http/routes';
import { InsufficientCreditsError } from '../credits/account-client';
import { TrainyardError, type ErrorDetail } from '../sdk/errors';

/**
 * An error the API answers with (thrown by a route, turned into an ErrorBody response by
 * errorMiddleware), with the response headers that go with it. Its client-side counterpart, parsed
 * from the same ErrorBody, is the SDK's ApiRequestError.
 */
export class HttpError extends TrainyardError {
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    /** Response headers that go with the error (e.g. a WWW-Authenticate challenge). */
    readonly headers: Record<string, string> = {},
  ) {
    super(status, code, message, details);
    this.name = 'HttpError';
  }
}

/** At most this many details in a response; then one more that counts the rest. */
export const MAX_ERROR_DETAILS = 100;

/** The first MAX_ERROR_DETAILS details, plus one `(more)` detail that says how many were left out. */
export function capDetails(details: readonly ErrorDetail[]): ErrorDetail[] {
  if (details.length <= MAX_ERROR_DETAILS) return [...details];
  const more = details.length - MAX_ERROR_DETAILS;
  return [
    ...details.slice(0, MAX_ERROR_DETAILS),
    { path: '(more)', message: `${more} more problem${more === 1 ? '' : 's'} not listed (${details.length} in all)` },
  ];
}

export function errorBody(
  code: ErrorCode,
  message: string,
  details: ErrorDetail[] = [],
  requestId?: string,
): ErrorBody {
  return { error: { code, message, details: capDetails(details), ...(requestId && { requestId }) } };
}

/** Zod issues → error details with JSON paths, prefixed by where the value came from ("query", "body"). */
export function zodDetails(err: z.ZodError, prefix?: string): ErrorDetail[] {
  return issueDetails(err.issues, prefix ? [prefix] : []);
}

/** body-parser's errors (they carry `type` and `status`). */
function bodyParserError(err: {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'request body is not valid JSON', [
        { path: 'body', message: (err.message ?? '').slice(0, 200) },
      ]);
    case 'entity.too.large':
      return new HttpError(
        413,
        'payload_too_large',
        `request body is larger than the ${err.limit ?? ''} byte limit`.replace('  ', ' '),
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', err.message ?? 'unsupported body encoding');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'request was aborted');
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'bad_request', 'invalid request body');
    default:
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500)
        return new HttpError(err.status, 'bad_request', 'bad request');
      return undefined;
  }
}

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** The one error middleware. */
export function errorMiddleware(
  log: ErrorLogger,
  observe?: (route: RouteName | undefined, status: number, body: ErrorBody) => void,
): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = String(res.locals.requestId ?? '');
    let known: TrainyardError | undefined;
    if (err instanceof TrainyardError) known = err;
    // A key that would leave the job's folder (a crafted name, a planted link) that no route
    // turned into its own answer: the caller's mistake, never a 500.
    else if (err instanceof InvalidKeyError)
      known = new HttpError(400, 'invalid_path', 'the path leaves the job folder', [
        { path: 'params', message: 'a path or link leads outside the job folder' },
      ]);
    else if (err && typeof err === 'object') known = bodyParserError(err as never);
    if (res.headersSent) {
      if (!known) log.error({ err, requestId, method: req.method, path: req.path }, 'error after response started');
      res.destroy();
      return;
    }
    const route = res.locals.route as RouteName | undefined;
    if (known) {
      if (known instanceof HttpError) res.set(known.headers);
      const body = errorBody(known.code, known.message, known.details, requestId);
      if (known instanceof InsufficientCreditsError) body.error.credits = known.credits;
      observe?.(route, known.status, body);
      res.status(known.status).json(body);
      return;
    }
    log.error({ err, requestId, method: req.method, path: req.path }, 'internal error');
    const body = errorBody(
      'internal',
      `internal error (request id ${requestId}); the server log has the details`,
      [],
      requestId,
    );
    observe?.(route, 500, body);
    res.status(500).json(body);
  };
}

/** 404 for routes that don't exist. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'route_not_found', `no route for ${req.method} ${req.path.slice(0, 200)}`));
};
