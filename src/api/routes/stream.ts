// Live job events: Server-Sent Events at /v1/jobs/:id/events and a WebSocket at
// /v1/jobs/:id/stream (its upgrade is matched and authenticated by the route table). Same messages
// on both; both end after the job's terminal message.
import type { WebSocketServer } from 'ws';
import type { StreamMessage } from '../../http/contracts';
import type { ResolvedDeps } from '../deps';
import { scopeOf } from '../parse';
import { STREAMED, type ResponseObserver, type RouteHandlers, type UpgradeHandlers } from '../route-table';

export function streamHandlers(d: ResolvedDeps, observe?: ResponseObserver): Pick<RouteHandlers, 'jobEvents'> {
  return {
    async jobEvents({ principal, params, req, res }) {
      const { id } = params;
      const first = await d.trainyard.getJobStatus(id, scopeOf(principal));
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
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
        send: (m: StreamMessage) => {
          if (!open) return;
          observe?.('jobEvents', 200, m);
          res.write(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`);
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
      return STREAMED;
    },
  };
}

export function streamUpgradeHandlers(
  d: ResolvedDeps,
  wss: WebSocketServer,
  observe?: ResponseObserver,
): UpgradeHandlers {
  return {
    async jobStream({ principal, params, req, socket, head }) {
      const { id } = params;
      // Before the upgrade: an unknown (or another owner's) job is a plain 404.
      const first = await d.trainyard.getJobStatus(id, scopeOf(principal));
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
            if (!open || ws.readyState !== ws.OPEN) return;
            observe?.('jobStream', 101, msg);
            ws.send(JSON.stringify(msg));
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
    },
  };
}
