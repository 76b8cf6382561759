// createApp(deps): the Express app, without listening (server.ts listens and adds the WebSocket).
// Every route comes from the route table (src/http/routes.ts); this wires the handlers to it.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { resolveDeps, type AppDeps, type ResolvedDeps } from './deps';
import { errorMiddleware, notFoundHandler } from './errors';
import { docsAssetsRouter, openApiHandlers } from './openapi';
import { routeTableRouter, type RouteHandlers, type RouteTableDeps } from './route-table';
import { accountHandlers } from './routes/accounts';
import { cacheHandlers } from './routes/cache';
import { configHandlers } from './routes/config';
import { dashboardAssetsRouter, dashboardHandlers } from './routes/dashboard';
import { sessionHandlers } from './routes/session';
import { controlHandlers } from './routes/control';
import { fileHandlers } from './routes/files';
import { healthHandlers } from './routes/health';
import { metricsHandlers } from './routes/metrics';
import { scheduleHandlers } from './routes/schedules';
import { jobHandlers } from './routes/jobs';
import { streamHandlers } from './routes/stream';

function isResolved(d: AppDeps | ResolvedDeps): d is ResolvedDeps {
  return (
    'hub' in d &&
    'keys' in d &&
    'sessions' in d &&
    'metrics' in d &&
    'store' in d &&
    'trainyard' in d &&
    'logger' in d &&
    'configBaseDir' in d &&
    'version' in d &&
    d.hub !== undefined
  );
}

/** What the route table needs from the deps: who may call (keys, docs password) and who watches responses. */
export function routeTableDeps(d: ResolvedDeps): RouteTableDeps {
  return {
    auth: {
      keys: d.keys,
      docs: { user: d.config.api.docsUser, password: d.config.api.docsPassword },
      sessions: d.sessions,
    },
    observe: d.observeResponse,
  };
}

export function handlersOf(d: ResolvedDeps): RouteHandlers {
  return {
    ...jobHandlers(d),
    ...scheduleHandlers(d),
    ...controlHandlers(d),
    ...fileHandlers(d),
    ...metricsHandlers(d),
    ...streamHandlers(d, d.observeResponse),
    ...configHandlers(d),
    ...accountHandlers(d),
    ...cacheHandlers(d),
    ...healthHandlers(d),
    ...openApiHandlers(d),
    ...sessionHandlers(d),
    ...dashboardHandlers(d),
    metrics: async () => ({ status: 200, body: await d.metrics.registry.metrics() }),
  };
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
    const started = process.hrtime.bigint();
    // One line per request, with its id (the path only: a query may hold ?api_key=).
    res.once('finish', () =>
      d.logger.info(
        {
          requestId: res.locals.requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        },
        'request',
      ),
    );
    next();
  });
  app.use(d.metrics.middleware);
  // JSON only; anything else stays unparsed and the route answers 415 (parse.ts jsonBody).
  app.use(
    express.json({
      limit: d.config.api.maxBody,
      strict: true,
      type: (req) =>
        Boolean(req.headers['content-type'] && /^application\/json\b/i.test(String(req.headers['content-type']))),
    }),
  );

  app.use(dashboardAssetsRouter(d));
  app.use(routeTableRouter(handlersOf(d), routeTableDeps(d)));
  app.use(docsAssetsRouter(d));

  app.use(notFoundHandler);
  app.use(errorMiddleware(d.logger, d.observeResponse));
  return app;
}
