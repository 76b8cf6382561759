// Live job events: WebSocket at /v1/jobs/:id/stream (upgrade handled in server.ts through
// handleStreamUpgrade) and Server-Sent Events at /v1/jobs/:id/events. Same messages on both.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router } from 'express';
import type { WebSocketServer } from 'ws';
import { TrainyardError } from '../../sdk/errors';
import type { ResolvedDeps } from '../deps';
import { ApiError, errorBody } from '../errors';
import { parseWith, principalOf, scopeOf } from '../parse';
import { JobIdParams } from '../schemas';

const STREAM_PATH = /^\/v1\/jobs\/([^/?#]+)\/stream\/?$/;

export function streamRouter(d: ResolvedDeps): Router {
  const r = Router();

  r.get('/v1/jobs/:id/events', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    const first = await d.trainyard.getJobStatus(id, scopeOf(p));
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write(': trainyard job events\n\n');
    d.metrics.streamClients.inc({ kind: 'sse' });
    let open = true;
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(keepAlive);
      d.metrics.streamClients.dec({ kind: 'sse' });
    };
    const unsubscribe = d.hub.subscribe(id, first, {
      send: (m) => {
        if (open) res.write(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`);
      },
      close: () => {
        end();
        res.end();
      },
    });
    req.on('close', () => {
      end();
      unsubscribe();
    });
  });

  r.get('/v1/jobs/:id/stream', (req, _res, next) => {
    parseWith(JobIdParams, req.params, 'params', 'invalid_job_id');
    next(new ApiError(426, 'upgrade_required', 'this endpoint is a WebSocket: connect with Upgrade: websocket (or use /events for Server-Sent Events)'));
  });

  return r;
}

function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Handles an HTTP upgrade: authenticates, checks the job, then streams its messages over a WebSocket. */
export async function handleStreamUpgrade(d: ResolvedDeps, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const m = STREAM_PATH.exec(url.pathname);
  if (!m) return rejectUpgrade(socket, 404, 'route_not_found', 'WebSocket endpoint is /v1/jobs/:id/stream');
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    return rejectUpgrade(socket, 400, 'invalid_job_id', 'job id is not valid URL encoding');
  }
  const parsed = JobIdParams.safeParse({ id });
  if (!parsed.success) return rejectUpgrade(socket, 400, 'invalid_job_id', 'invalid job id');
  const headerKey = req.headers['x-api-key'];
  const key = typeof headerKey === 'string' ? headerKey : (url.searchParams.get('api_key') ?? undefined);
  if (key === undefined) return rejectUpgrade(socket, 401, 'unauthorized', 'missing X-API-Key header');
  const principal = d.keys.authenticate(key);
  if (!principal) return rejectUpgrade(socket, 401, 'unauthorized', 'invalid API key');
  let first;
  try {
    first = await d.trainyard.getJobStatus(id, scopeOf(principal));
  } catch (err) {
    if (err instanceof TrainyardError) return rejectUpgrade(socket, err.status, err.code, err.message);
    d.logger.error({ err }, 'stream upgrade failed');
    return rejectUpgrade(socket, 500, 'internal', 'internal error');
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    d.metrics.streamClients.inc({ kind: 'ws' });
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      d.metrics.streamClients.dec({ kind: 'ws' });
    };
    const unsubscribe = d.hub.subscribe(id, first, {
      send: (msg) => {
        if (open && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
      },
      close: (reason) => {
        end();
        if (ws.readyState === ws.OPEN) ws.close(1000, reason.slice(0, 100));
      },
    });
    ws.on('close', () => {
      end();
      unsubscribe();
    });
    ws.on('error', () => undefined);
    // Clients only listen; ignore what they send.
    ws.on('message', () => undefined);
  });
}
