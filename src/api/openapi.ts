// /openapi.json, generated from the route table (src/http/routes.ts) and the HTTP contract's
// schemas (src/http/contracts.ts) with zod's own JSON Schema conversion: request parts in their
// input form, responses in their output form, named schemas as components. Plus the docs page
// (swagger-ui-dist served from this process — no CDN) behind basic auth.
import path from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';
import { INPUT_REFS, REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from '../http/contracts';
import { ROUTES, openApiPath, type AuthMode, type ResponseSpec, type RouteSpec } from '../http/routes';
import { authenticate } from './auth';
import type { ResolvedDeps } from './deps';
import type { RouteHandlers } from './route-table';

type Json = Record<string, unknown>;
const REF = (name: string) => `#/components/schemas/${name}`;

/** Security scheme per auth mode; a route's modes are alternatives. */
const SECURITY: Record<AuthMode, { name: string; scheme: Json } | undefined> = {
  none: undefined,
  apiKey: { name: 'ApiKey', scheme: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
  apiKeyQuery: { name: 'ApiKeyQuery', scheme: { type: 'apiKey', in: 'query', name: 'api_key' } },
  session: { name: 'SessionCookie', scheme: { type: 'apiKey', in: 'cookie', name: 'ty_session' } },
  docs: { name: 'DocsBasic', scheme: { type: 'http', scheme: 'basic' } },
};
/** The modes a mode also admits (apiKeyQuery takes the header too). */
const ADMITS: Record<AuthMode, AuthMode[]> = {
  none: [],
  apiKey: ['apiKey'],
  apiKeyQuery: ['apiKey', 'apiKeyQuery'],
  session: ['session'],
  docs: ['docs'],
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid request: every problem with its path',
  401: 'missing or invalid credentials',
  500: 'internal error (with a request id; the server log has the details)',
};

function strip(schema: Json): Json {
  const { $id: _id, $schema: _s, ...rest } = schema;
  return rest;
}

function registryOf(names: ReadonlyMap<z.ZodType, string>) {
  const reg = z.registry<{ id: string }>();
  for (const [schema, id] of names) reg.add(schema, { id });
  return reg;
}

/** Replaces a schema documented as a request-side component with a $ref to it. */
function inputRefs(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const name = INPUT_REFS.get(ctx.zodSchema as z.ZodType);
  if (!name) return;
  for (const k of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[k];
  ctx.jsonSchema.$ref = REF(name);
}

function components(): Record<string, Json> {
  const opts = { target: 'openapi-3.0', unrepresentable: 'any', uri: REF, override: inputRefs } as const;
  const out = z.toJSONSchema(registryOf(RESPONSE_COMPONENTS), { ...opts, io: 'output' }).schemas;
  const inp = z.toJSONSchema(registryOf(REQUEST_COMPONENTS), { ...opts, io: 'input' }).schemas;
  const all: Record<string, Json> = {};
  for (const [name, s] of [...Object.entries(out), ...Object.entries(inp)]) {
    const schema = strip(s as Json);
    if (all[name] && JSON.stringify(all[name]) !== JSON.stringify(schema))
      throw new Error(`OpenAPI component ${name} differs between its request and response forms`);
    all[name] = schema;
  }
  return all;
}

/** A schema as used at one place: a $ref when it is a named component, else converted inline. */
function schemaFor(schema: z.ZodType, io: 'input' | 'output'): Json {
  const name = (io === 'input' ? REQUEST_COMPONENTS : RESPONSE_COMPONENTS).get(schema);
  if (name) return { $ref: REF(name) };
  return strip(
    z.toJSONSchema(schema, {
      target: 'openapi-3.0',
      unrepresentable: 'any',
      io,
      metadata: z.registry<{ id: string }>(),
    }) as Json,
  );
}

/** The fields of an object schema as OpenAPI parameters. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): Json[] {
  if (!schema) return [];
  const json = schemaFor(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

function content(r: ResponseSpec): Json {
  const type = (r.contentType ?? 'application/json').split(';')[0]!;
  const schema =
    type === 'application/json' || type === 'text/event-stream'
      ? schemaFor(r.schema, 'output')
      : type === 'application/octet-stream'
        ? { type: 'string', format: 'binary' }
        : { type: 'string' };
  return { [type]: { schema } };
}

function operation(name: string, spec: RouteSpec): Json {
  const errorBody = { 'application/json': { schema: { $ref: REF('Error') } } };
  const errors: Record<number, string> = { 500: ERROR_DESCRIPTIONS[500]! };
  if (spec.params || spec.query || spec.headers || spec.body) errors[400] = ERROR_DESCRIPTIONS[400]!;
  if (!spec.auth.includes('none')) errors[401] = ERROR_DESCRIPTIONS[401]!;
  Object.assign(errors, spec.errors);
  const responses: Json = {};
  for (const [status, r] of Object.entries(spec.responses))
    responses[status] = { description: r.description, content: content(r) };
  for (const [status, description] of Object.entries(errors))
    if (!(status in responses)) responses[status] = { description, content: errorBody };
  const security = [...new Set(spec.auth.flatMap((m) => ADMITS[m]))]
    .map((m) => SECURITY[m])
    .filter((s) => s !== undefined)
    .map((s) => ({ [s.name]: [] }));
  return {
    operationId: name,
    summary: spec.summary,
    ...(security.length && { security }),
    parameters: [
      ...parameters(spec.params, 'path'),
      ...parameters(spec.query, 'query'),
      ...parameters(spec.headers, 'header'),
    ],
    ...(spec.body && {
      requestBody: {
        required: spec.body.required,
        content: { 'application/json': { schema: schemaFor(spec.body.schema, 'input') } },
      },
    }),
    responses,
  };
}

export function buildOpenApiDocument(version = '0.1.0'): Json {
  const paths: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const p = openApiPath(spec.path);
    paths[p] = { ...paths[p], [spec.method]: operation(name, spec) };
  }
  const securitySchemes = Object.fromEntries(
    Object.values(SECURITY)
      .filter((s) => s !== undefined)
      .map((s) => [s.name, s.scheme]),
  );
  return {
    openapi: '3.0.3',
    info: {
      title: 'Trainyard API',
      version,
      description: 'Durable ML jobs on Temporal: submit, watch and control DAGs of ML steps.',
    },
    servers: [{ url: '/' }],
    paths,
    components: { securitySchemes, schemas: components() },
  };
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trainyard API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });`;

export function openApiHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'openapi' | 'docs' | 'docsScript'> {
  const doc = buildOpenApiDocument(d.version);
  return {
    openapi: async () => ({ status: 200, body: doc }),
    docs: async () => ({ status: 200, headers: { 'Cache-Control': 'no-store' }, body: DOCS_HTML }),
    docsScript: async () => ({ status: 200, body: DOCS_INIT }),
  };
}

/** The Swagger UI files, behind the same basic auth as the docs page. */
export function docsAssetsRouter(d: ResolvedDeps): Router {
  const r = Router();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const uiDir: string = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
  const auth = { keys: d.keys, docs: { user: d.config.api.docsUser, password: d.config.api.docsPassword } };
  r.use(
    '/docs/assets',
    (req, _res, next) => {
      authenticate(['docs'], { headers: req.headers, query: {} }, auth);
      next();
    },
    express.static(path.resolve(uiDir), { index: false, fallthrough: false }),
  );
  return r;
}
