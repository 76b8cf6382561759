// createApp(deps): the Express app, without listening (server.ts listens and adds the WebSocket).
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { requireApiKey } from './auth';
import { resolveDeps, type AppDeps, type ResolvedDeps } from './deps';
import { errorMiddleware, notFoundHandler } from './errors';
import { openApiRouter } from './openapi';
import { configRouter } from './routes/config';
import { controlRouter } from './routes/control';
import { filesRouter } from './routes/files';
import { healthRouter } from './routes/health';
import { jobsRouter } from './routes/jobs';
import { streamRouter } from './routes/stream';

function isResolved(d: AppDeps | ResolvedDeps): d is ResolvedDeps {
  return 'hub' in d && 'keys' in d && 'metrics' in d && 'store' in d && 'trainyard' in d && 'logger' in d && 'configBaseDir' in d && 'version' in d && d.hub !== undefined;
}

export function createApp(deps: AppDeps | ResolvedDeps): Express {
  const d = isResolved(deps) ? deps : resolveDeps(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', false);

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.set('X-Request-Id', String(res.locals.requestId));
    next();
  });
  app.use(d.metrics.middleware);
  // JSON only; anything else stays unparsed and the route answers 415 (parse.ts jsonBody).
  app.use(express.json({ limit: d.config.api.maxBody, strict: true, type: (req) => Boolean(req.headers['content-type'] && /^application\/json\b/i.test(String(req.headers['content-type']))) }));

  app.use(healthRouter(d));
  app.use(openApiRouter(d));
  app.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });

  const keyFromHeader = requireApiKey(d.keys);
  // EventSource (browsers) cannot set headers: the SSE endpoint also takes ?api_key=.
  const keyFromHeaderOrQuery = requireApiKey(d.keys, { allowQueryKey: true });
  app.use('/v1', (req, res, next) => (/\/events\/?$/.test(req.path) ? keyFromHeaderOrQuery : keyFromHeader)(req, res, next));
  app.use(jobsRouter(d));
  app.use(controlRouter(d));
  app.use(streamRouter(d));
  app.use(filesRouter(d));
  app.use(configRouter(d));

  app.use(notFoundHandler);
  app.use(errorMiddleware(d.logger));
  return app;
}
