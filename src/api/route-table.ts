// Registers the route table (src/http/routes.ts) on an Express router: for every route, the one
// auth check, the parsing of params / query / headers / body with the route's schemas (a failure is
// a 400 naming each field), the call to its handler with parsed values only, and the response. The
// WebSocket upgrade goes through the same route matching, parsing and authentication.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { match } from 'path-to-regexp';
import type { z } from 'zod';
import {
  ROUTES,
  type BodyOf,
  type HeadersOf,
  type ParamsOf,
  type QueryOf,
  type ResultOf,
  type RouteName,
  type RouteSpec,
  type Routes,
} from '../http/routes';
import { authenticate, type AuthDeps, type AuthRequest, type Principal } from './auth';
import { HttpError, errorBody } from './errors';
import { jsonBody, parseWith } from './parse';
import { TrainyardError } from '../sdk/errors';

/** A handler that wrote its own response (a stream, a file) returns this. */
export const STREAMED = Symbol('streamed');

/** Modes that name a caller: a route that accepts only these always has a principal. */
type PrincipalMode = 'apiKey' | 'apiKeyQuery' | 'session';
type PrincipalOf<N extends RouteName> = Routes[N]['auth'][number] extends PrincipalMode ? Principal : undefined;

export interface RouteContext<N extends RouteName> {
  params: ParamsOf<N>;
  query: QueryOf<N>;
  headers: HeadersOf<N>;
  body: BodyOf<N>;
  principal: PrincipalOf<N>;
  req: Request;
  res: Response;
}

export type HandlerResult<N extends RouteName> = (ResultOf<N> & { headers?: Record<string, string> }) | typeof STREAMED;
export type RouteHandler<N extends RouteName> = (ctx: RouteContext<N>) => Promise<HandlerResult<N>>;

type WebSocketRouteName = { [N in RouteName]: Routes[N] extends { websocket: object } ? N : never }[RouteName];
type HttpRouteName = Exclude<RouteName, WebSocketRouteName>;
/** A handler for every HTTP route of the table (the compiler says which is missing). */
export type RouteHandlers = { [N in HttpRouteName]: RouteHandler<N> };

export interface UpgradeContext<N extends WebSocketRouteName> {
  params: ParamsOf<N>;
  principal: PrincipalOf<N>;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}
export type UpgradeHandler<N extends WebSocketRouteName> = (ctx: UpgradeContext<N>) => Promise<void>;
export type UpgradeHandlers = { [N in WebSocketRouteName]: UpgradeHandler<N> };

/**
 * Sees every JSON response body (errors too: `route` is undefined when no route matched) and every
 * stream message; the API tests check each against /openapi.json.
 */
export type ResponseObserver = (route: RouteName | undefined, status: number, body: unknown) => void;

export interface RouteTableDeps {
  auth: AuthDeps;
  observe?: ResponseObserver;
}

const entries = Object.entries(ROUTES) as [RouteName, RouteSpec][];

function parsePart(
  spec: RouteSpec,
  part: 'params' | 'query' | 'headers',
  schema: z.ZodType | undefined,
  value: unknown,
): unknown {
  if (!schema) return {};
  return parseWith(schema, value, part, spec.invalidCodes?.[part]);
}

/** Express 5 gives `*path` as an array of segments; the table's schemas take the path as one string. */
function normalizeParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]));
}

/** The query without `api_key` where the route takes its key from there. */
function queryOf(spec: RouteSpec, query: Record<string, unknown>): Record<string, unknown> {
  if (!spec.auth.includes('apiKeyQuery') || !('api_key' in query)) return query;
  const { api_key: _key, ...rest } = query;
  return rest;
}

export function routeTableRouter(handlers: RouteHandlers, deps: RouteTableDeps): Router {
  const r = Router();
  for (const [name, spec] of entries) {
    const handle: RouteHandler<RouteName> | undefined = spec.websocket
      ? async () => {
          throw new HttpError(
            426,
            'upgrade_required',
            'this endpoint is a WebSocket: connect with Upgrade: websocket (or use /events for Server-Sent Events)',
          );
        }
      : (handlers as Record<string, RouteHandler<RouteName>>)[name];
    if (!handle) throw new Error(`route ${name} has no handler`);
    r[spec.method](spec.path, async (req: Request, res: Response) => {
      res.locals.route = name;
      const query = req.query as Record<string, unknown>;
      const { principal } = authenticate(spec.auth, { headers: req.headers, query, method: req.method }, deps.auth);
      const ctx = {
        params: parsePart(spec, 'params', spec.params, normalizeParams(req.params)),
        query: parsePart(spec, 'query', spec.query, queryOf(spec, query)),
        headers: parsePart(spec, 'headers', spec.headers, req.headers),
        body: spec.body
          ? spec.body.raw
            ? jsonBody(req, { optional: !spec.body.required })
            : parseWith(
                spec.body.schema,
                jsonBody(req, { optional: !spec.body.required }),
                'body',
                spec.invalidCodes?.body,
              )
          : undefined,
        principal,
        req,
        res,
      } as RouteContext<RouteName>;
      // The handler's type ties status and body to the route; here any route's result will do.
      const result = (await handle(ctx)) as
        { status: number; body: unknown; headers?: Record<string, string> } | typeof STREAMED;
      if (result === STREAMED) return;
      const response = spec.responses[result.status];
      if (!response) throw new Error(`route ${name} answered ${result.status}, which the route table does not declare`);
      deps.observe?.(name, result.status, result.body);
      if (result.headers) res.set(result.headers);
      res.status(result.status);
      if (response.contentType && typeof result.body === 'string') res.type(response.contentType).send(result.body);
      else res.json(result.body);
    });
  }
  return r;
}

const websocketRoutes = entries
  .filter(([, spec]) => spec.websocket)
  .map(([name, spec]) => ({ name: name as WebSocketRouteName, spec, match: match(spec.path) }));

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** Answers an upgrade request with an HTTP error in the API's error shape and closes the socket. */
export function rejectUpgrade(socket: Duplex, err: TrainyardError): void {
  const body = JSON.stringify(errorBody(err.code, err.message, err.details));
  const extra = Object.entries(err instanceof HttpError ? err.headers : {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${err.status} ${REASONS[err.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * An HTTP upgrade: the route it names (a table route with `websocket`), its params parsed, the
 * caller authenticated by the route's auth modes — then the route's upgrade handler. A request
 * that fails any of these gets the HTTP error a plain request would.
 */
export async function handleUpgrade(
  handlers: UpgradeHandlers,
  deps: RouteTableDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    for (const route of websocketRoutes) {
      let matched: ReturnType<typeof route.match>;
      try {
        matched = route.match(url.pathname);
      } catch {
        throw new HttpError(
          400,
          route.spec.invalidCodes?.params ?? 'invalid_request',
          'path is not valid URL encoding',
        );
      }
      if (!matched) continue;
      const authReq: AuthRequest = { headers: req.headers, query: Object.fromEntries(url.searchParams) };
      const params = parsePart(route.spec, 'params', route.spec.params, normalizeParams(matched.params));
      const { principal } = authenticate(route.spec.auth, authReq, deps.auth);
      const handler = handlers[route.name] as UpgradeHandler<WebSocketRouteName>;
      await handler({ params, principal, req, socket, head } as UpgradeContext<WebSocketRouteName>);
      return;
    }
    throw new HttpError(404, 'route_not_found', `no WebSocket endpoint at ${url.pathname.slice(0, 200)}`);
  } catch (err) {
    if (err instanceof TrainyardError) return rejectUpgrade(socket, err);
    throw err;
  }
}
