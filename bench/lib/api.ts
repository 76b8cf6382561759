// The real HTTP API on a free port over a bench Temporal server, with one admin key, and a tiny
// HTTP client (Node's fetch, keep-alive) that times each request.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { loadConfig, type Config } from '../../src/config';
import { nowMs } from './stats';

export const BENCH_KEY = 'bench-key-0123456789abcdef0123456789';
export const BENCH_OWNER = 'bench';

export function benchConfig(home: string, prefix: string, extra: Record<string, string> = {}): Config {
  // The artifact store refuses writes while its root does not exist yet (src/artifacts/local-store.ts
  // resolve(): the realpath probe climbs above the missing root); create both roots up front.
  fs.mkdirSync(path.join(home, 'artifacts'), { recursive: true });
  fs.mkdirSync(path.join(home, 'data'), { recursive: true });
  return loadConfig({
    TRAINYARD_HOME: home,
    TRAINYARD_ARTIFACT_ROOT: path.join(home, 'artifacts'),
    TRAINYARD_DATA_ROOT: path.join(home, 'data'),
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_API_KEYS: `${BENCH_OWNER}:${BENCH_KEY}:admin`,
    TRAINYARD_LOG_LEVEL: 'silent',
    TRAINYARD_PORT: '0',
    ...extra,
  });
}

const silent = { info: () => undefined, warn: () => undefined, error: (o: object, m: string) => console.error(m, o) };

export async function startBenchApi(client: Client, config: Config, port = 0): Promise<ApiServer> {
  return startApiServer({ client, config, port, host: '127.0.0.1', logger: silent });
}

export interface Timed<T = unknown> {
  status: number;
  ms: number;
  body: T;
}

export async function http<T = unknown>(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Timed<T>> {
  const t0 = nowMs();
  const res = await fetch(base + url, {
    method,
    headers: { 'x-api-key': BENCH_KEY, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const ms = nowMs() - t0;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, ms, body: parsed as T };
}
