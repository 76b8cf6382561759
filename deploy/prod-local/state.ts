// What a running prod:local topology tells its users (test:prod, the benchmarks, an operator's
// scripts): <home>/prod-local.json, written once everything is up. Read it with loadProdLocalState().
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const Tls = z.object({ ca: z.string(), cert: z.string(), key: z.string(), serverName: z.string() });

export const ProdLocalState = z.object({
  home: z.string(),
  buildId: z.string(),
  deploymentName: z.string(),
  startedAt: z.string(),
  temporal: z.object({
    address: z.string(),
    namespace: z.string(),
    retention: z.string(),
    /** The operator's client certificate (the Temporal CLI, tests, benchmarks). */
    tls: Tls,
    uiUrl: z.string(),
  }),
  api: z.object({ url: z.string(), keysFile: z.string() }),
  postgres: z.object({ port: z.number() }),
  /** The compose services started as processes: name → pid. */
  services: z.record(z.string(), z.object({ pid: z.number(), logFile: z.string(), argv: z.array(z.string()) })),
});
export type ProdLocalState = z.infer<typeof ProdLocalState>;

export function stateFile(home: string): string {
  return path.join(home, 'prod-local.json');
}

/** The running topology's state; throws saying how to start it when there is none. */
export function readProdLocalState(home: string): ProdLocalState {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(home), 'utf8');
  } catch {
    throw new Error(`no prod:local topology at ${home}: start it with npm run prod:local`);
  }
  return ProdLocalState.parse(JSON.parse(text));
}

/** `owner:key[:admin]` entries of the API's key file. */
export function apiKeysOf(state: ProdLocalState): { owner: string; key: string; admin: boolean }[] {
  return fs
    .readFileSync(state.api.keysFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const [owner = '', key = '', flag] = l.split(':');
      return { owner, key, admin: flag === 'admin' };
    });
}
