// The OpenAPI document, generated from the same zod schemas the routes parse with, and the API docs
// page (swagger-ui-dist served from this process — no CDN) behind basic auth.
import path from 'node:path';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import { z } from 'zod';
import { JobSpec, SingleJobSpec } from '../domain/job-spec';
import { basicAuth } from './auth';
import type { ResolvedDeps } from './deps';
import {
  ArtifactList,
  ConfigResponse,
  ControlOutcomeSchema,
  EmptyBody,
  ErrorResponse,
  HealthResponse,
  JobCreated,
  JobIdParams,
  JobPageSchema,
  JobViewSchema,
  PauseBody,
  ReadyResponse,
  RecoverBody,
  StreamMessage,
  ValidateResponse,
} from './schemas';

type Method = 'get' | 'post';
/** Every route the app serves, as [method, OpenAPI path]; the tests check the document covers them. */
export const API_ROUTES: [Method, string][] = [];

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

export function buildOpenApiDocument(version = '0.1.0'): Record<string, unknown> {
  const reg = new OpenAPIRegistry();
  const apiKey = reg.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  reg.registerComponent('schemas', 'JobSpec', jsonSchemaOf(JobSpec) as never);
  reg.registerComponent('schemas', 'SingleJobSpec', jsonSchemaOf(SingleJobSpec) as never);
  const submission = { oneOf: [{ $ref: '#/components/schemas/JobSpec' }, { $ref: '#/components/schemas/SingleJobSpec' }] };
  const security = [{ [apiKey.name]: [] }];
  const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorResponse } } });
  const commonErrors = { 401: err('missing or invalid API key'), 500: err('internal error (with a request id)') };
  const jobErrors = { ...commonErrors, 400: err('invalid job id'), 404: err('unknown job (or another owner\'s)') };
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
  const add = (method: Method, p: string, def: Omit<Parameters<typeof reg.registerPath>[0], 'method' | 'path'>) => {
    API_ROUTES.push([method, p]);
    reg.registerPath({ method, path: p, ...def });
  };
  API_ROUTES.length = 0;
  const idParams = JobIdParams;

  add('post', '/v1/jobs', {
    summary: 'Submit a job (DAG or single-job form)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().max(255).optional().openapi({ description: 'same key + same owner → same job' }) }),
      body: { required: true, content: { 'application/json': { schema: submission as never } } },
    },
    responses: {
      201: { description: 'job started', ...json(JobCreated) },
      200: { description: 'the Idempotency-Key named an existing job (the same spec)', ...json(JobCreated) },
      400: err('invalid spec: every problem with its JSON path'),
      409: err('Idempotency-Key reused with a different spec'),
      413: err('body too large'),
      415: err('Content-Type is not application/json'),
      ...commonErrors,
    },
  });
  add('post', '/v1/jobs/validate', {
    summary: 'Dry run: the plan (stages, queues, critical path) or the errors; starts nothing',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: submission as never } } } },
    responses: { 200: { description: 'valid; the plan', ...json(ValidateResponse) }, 400: err('invalid spec'), 413: err('too large'), 415: err('not JSON'), ...commonErrors },
  });
  add('get', '/v1/jobs', {
    summary: "The caller's jobs (admin: everyone's), newest first, paginated",
    security,
    request: {
      query: z.object({
        status: z.enum(['queued', 'running', 'paused', 'completed', 'failed', 'cancelled']).optional(),
        type: z.string().optional(),
        tag: z.string().optional(),
        recoverable: z.enum(['true', 'false']).optional(),
        pageSize: z.number().int().min(1).max(200).optional(),
        pageToken: z.string().optional(),
        owner: z.string().optional().openapi({ description: 'admin keys only; "*" = every owner' }),
      }),
    },
    responses: { 200: { description: 'a page of jobs', ...json(JobPageSchema) }, 400: err('invalid query'), 403: err('owner filter needs an admin key'), ...commonErrors },
  });
  add('get', '/v1/jobs/{id}', {
    summary: 'Status, progress and live progress of running nodes (works for finished jobs)',
    security,
    request: { params: idParams },
    responses: { 200: { description: 'the job', ...json(JobViewSchema) }, ...jobErrors },
  });
  for (const [action, body, summary] of [
    ['pause', PauseBody, 'Pause: drain (default) or now (running nodes checkpoint and stop)'],
    ['resume', EmptyBody, 'Resume a paused job'],
    ['cancel', EmptyBody, 'Cancel the job'],
    ['recover', RecoverBody, 'Re-run failed/skipped nodes, or fromNode and everything downstream'],
  ] as const) {
    add('post', `/v1/jobs/{id}/${action}`, {
      summary,
      security,
      request: { params: idParams, body: { required: false, content: { 'application/json': { schema: body } } } },
      responses: { 200: { description: 'the job status after the operation', ...json(ControlOutcomeSchema) }, 409: err('illegal transition, with the reason'), 415: err('not JSON'), ...jobErrors },
    });
  }
  add('get', '/v1/jobs/{id}/stream', {
    summary: 'WebSocket: live job events (job_started, node_status, node_progress, metrics, job_completed|job_failed|job_cancelled); late clients first get a snapshot',
    security,
    request: { params: idParams },
    responses: { 101: { description: 'switching protocols; each message is a StreamMessage', ...json(StreamMessage) }, 426: err('not a WebSocket upgrade'), ...jobErrors },
  });
  add('get', '/v1/jobs/{id}/events', {
    summary: 'Server-Sent Events: the same messages as the WebSocket stream',
    security,
    request: { params: idParams },
    responses: { 200: { description: 'text/event-stream of StreamMessage', content: { 'text/event-stream': { schema: StreamMessage } } }, ...jobErrors },
  });
  add('get', '/v1/jobs/{id}/logs', {
    summary: "A node's persisted stdout/stderr; follow=true streams new lines until the node finishes",
    security,
    request: { params: idParams, query: z.object({ node: z.string(), follow: z.enum(['true', 'false']).optional(), tail: z.number().int().optional() }) },
    responses: { 200: { description: 'log text', content: { 'text/plain': { schema: z.string() } } }, ...jobErrors },
  });
  add('get', '/v1/jobs/{id}/artifacts', {
    summary: "The job's artifacts (models, metrics, plots, logs)",
    security,
    request: { params: idParams },
    responses: { 200: { description: 'artifacts', ...json(ArtifactList) }, ...jobErrors },
  });
  add('get', '/v1/jobs/{id}/artifacts/{path}', {
    summary: 'Download one artifact (path relative to the job folder; may contain "/")',
    security,
    request: { params: z.object({ id: JobIdParams.shape.id, path: z.string() }) },
    responses: { 200: { description: 'the file', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, ...jobErrors },
  });
  add('get', '/v1/config', {
    summary: 'Non-secret settings, node types and their config schemas',
    security,
    responses: { 200: { description: 'settings', ...json(ConfigResponse) }, ...commonErrors },
  });
  add('get', '/healthz', { summary: 'The process is alive', responses: { 200: { description: 'ok', ...json(HealthResponse) } } });
  add('get', '/readyz', {
    summary: 'Temporal reachable and pollers on every task queue',
    responses: { 200: { description: 'ready', ...json(ReadyResponse) }, 503: { description: 'not ready: what is missing', ...json(ReadyResponse) } },
  });
  add('get', '/metrics', { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: z.string() } } } } });
  add('get', '/openapi.json', { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.0 document', content: { 'application/json': { schema: z.object({}).passthrough() } } } } });
  add('get', '/docs', { summary: 'API docs (Swagger UI, served locally) behind basic auth', responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } }, 401: err('basic auth required') } });

  return new OpenApiGeneratorV3(reg.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Trainyard API', version, description: 'Durable ML jobs on Temporal: submit, watch and control DAGs of ML steps.' },
    servers: [{ url: '/' }],
  }) as unknown as Record<string, unknown>;
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trainyard API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });`;

export function openApiRouter(d: ResolvedDeps): Router {
  const r = Router();
  const doc = buildOpenApiDocument(d.version);
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const uiDir: string = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
  const auth = basicAuth(d.config.api.docsUser, d.config.api.docsPassword);
  r.get('/docs', auth, (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(DOCS_HTML);
  });
  r.get('/docs/init.js', auth, (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT);
  });
  r.use('/docs/assets', auth, express.static(path.resolve(uiDir), { index: false, fallthrough: false }));
  return r;
}
