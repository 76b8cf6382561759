// Listens, attaches the WebSocket stream (/v1/jobs/:id/stream) and closes cleanly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { WebSocketServer } from 'ws';
import { createApp, routeTableDeps } from './app';
import { resolveDeps, type AppDeps, type ResolvedDeps } from './deps';
import { handleUpgrade } from './route-table';
import { streamUpgradeHandlers } from './routes/stream';

export interface ApiServerOptions extends AppDeps {
  /** Default: config.api.host. */
  host?: string;
  /** Default: config.api.port; 0 = a free port. */
  port?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  app: Express;
  deps: ResolvedDeps;
  /** Stops streams, closes connections and the listener. Idempotent. */
  close(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const deps = resolveDeps(opts);
  if (deps.keys.size === 0)
    deps.logger.warn(
      {},
      'no API keys configured (TRAINYARD_API_KEYS / TRAINYARD_API_KEYS_FILE): every /v1 request will be refused',
    );
  const app = createApp(deps);
  const server = http.createServer(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const upgrades = streamUpgradeHandlers(deps, wss, deps.observeResponse);
  const tableDeps = routeTableDeps(deps);
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => undefined);
    handleUpgrade(upgrades, tableDeps, req, socket, head).catch((err: unknown) => {
      deps.logger.error({ err }, 'websocket upgrade failed');
      socket.destroy();
    });
  });
  const host = opts.host ?? opts.config.api.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? opts.config.api.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    app,
    deps,
    close() {
      closing ??= (async () => {
        deps.hub.close();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
