// One error shape for every response: { error: { code, message, details: [{ path, message }] } }.
// Client mistakes become 4xx with what was wrong; anything else is a generic 500 with a request
// id, logged in full on the server and never leaked to the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { formatPath } from '../domain/validate';
import { TrainyardError, type ErrorDetail } from '../sdk/errors';

export class ApiError extends TrainyardError {
  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(status, code, message, details);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[]; requestId?: string };
}

export function errorBody(code: string, message: string, details: ErrorDetail[] = [], requestId?: string): ErrorBody {
  return { error: { code, message, details, ...(requestId && { requestId }) } };
}

/** Zod issues → error details with JSON paths, prefixed by where the value came from ("query", "body"). */
export function zodDetails(err: z.ZodError, prefix?: string): ErrorDetail[] {
  return err.issues.map((i) => {
    const p = formatPath(i.path as PropertyKey[]);
    return { path: prefix ? (p ? `${prefix}.${p}` : prefix) : p, message: i.message };
  });
}

/** body-parser's errors (they carry `type` and `status`). */
function bodyParserError(err: { type?: string; status?: number; message?: string; limit?: number }): ApiError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'request body is not valid JSON', [{ path: 'body', message: (err.message ?? '').slice(0, 200) }]);
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', `request body is larger than the ${err.limit ?? ''} byte limit`.replace('  ', ' '));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', err.message ?? 'unsupported body encoding');
    case 'request.aborted':
      return new ApiError(400, 'request_aborted', 'request was aborted');
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError(400, 'bad_request', 'invalid request body');
    default:
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) return new ApiError(err.status, 'bad_request', 'bad request');
      return undefined;
  }
}

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** The one error middleware. */
export function errorMiddleware(log: ErrorLogger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = String(res.locals.requestId ?? '');
    let known: TrainyardError | undefined;
    if (err instanceof TrainyardError) known = err;
    else if (err && typeof err === 'object') known = bodyParserError(err as never);
    if (res.headersSent) {
      if (!known) log.error({ err, requestId, method: req.method, url: req.originalUrl }, 'error after response started');
      res.destroy();
      return;
    }
    if (known) {
      res.status(known.status).json(errorBody(known.code, known.message, known.details, requestId));
      return;
    }
    log.error({ err, requestId, method: req.method, url: req.originalUrl }, 'internal error');
    res.status(500).json(errorBody('internal', `internal error (request id ${requestId}); the server log has the details`, [], requestId));
  };
}

/** 404 for routes that don't exist. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'route_not_found', `no route for ${req.method} ${req.path.slice(0, 200)}`));
};
