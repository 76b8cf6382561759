// test:prod runs against the topology `npm run prod:local` started (deploy/prod-local): this reads
// its state file and gives the tests a Temporal client (mTLS, operator certificate), the API with
// the generated keys, the Temporal CLI with the same certificate, and the topology for faults.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadSettings } from '../../deploy/prod-local/config';
import { apiKeysOf, readProdLocalState, type ProdLocalState } from '../../deploy/prod-local/state';
import { cliFlags, planTopology, type Topology } from '../../deploy/prod-local/topology';
import { mtlsFromFiles } from '../../src/temporal/connection';
import { waitFor } from '../helpers/temporal';

const execFileP = promisify(execFile);

export interface Prod {
  state: ProdLocalState;
  topo: Topology;
  keys: Record<string, string>;
}

export function prod(): Prod {
  const settings = loadSettings();
  const state = readProdLocalState(settings.home);
  // The build that is running, not what the checkout would build now.
  const topo = planTopology({ ...settings, buildId: state.buildId }, () => undefined);
  const keys = Object.fromEntries(apiKeysOf(state).map((k) => [k.owner, k.key]));
  return { state, topo, keys };
}

export function tlsOf(state: ProdLocalState) {
  const { ca, cert, key, serverName } = state.temporal.tls;
  return mtlsFromFiles({ caFile: ca, certFile: cert, keyFile: key, serverName });
}

export async function temporalClient(state: ProdLocalState): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: state.temporal.address, tls: tlsOf(state) });
  return { connection, client: new Client({ connection, namespace: state.temporal.namespace }) };
}

/**
 * Waits until the deployment's current version is `buildId` AND the server reports that routing
 * propagated to every task queue partition (`set-current-version` returns before the matchers know).
 */
export async function routingPropagated(client: Client, deploymentName: string, buildId: string): Promise<void> {
  const COMPLETED = temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED;
  let last = '';
  await waitFor(
    async () => {
      const { workerDeploymentInfo: d } = await client.workflowService.describeWorkerDeployment({
        namespace: client.options.namespace,
        deploymentName,
      });
      const current = d?.routingConfig?.currentDeploymentVersion?.buildId;
      last = `current ${current}, state ${d?.routingConfigUpdateState}`;
      return current === buildId && d?.routingConfigUpdateState === COMPLETED;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `routing to ${deploymentName}/${buildId} to propagate` },
  ).catch((err: Error) => {
    throw new Error(`${err.message} (${last})`);
  });
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** The API over real HTTP with one owner's key. */
export function api(state: ProdLocalState, key: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const r = await fetch(`${state.api.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    get: <T = unknown>(path: string) => call<T>('GET', path),
    post: <T = unknown>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  };
}

/** The Temporal CLI with the operator certificate; resolves with stdout, rejects with stderr. */
export async function temporalCli(topo: Topology, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(topo.settings.temporalCli, [...args, ...cliFlags(topo)], { timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`temporal ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** A job whose nodes are `node -e` sleeps (real subprocesses on the CPU and GPU queues). */
export function sleepJob(
  name: string,
  opts: {
    chain?: number;
    ms?: number;
    tags?: string[];
    priority?: number;
    gpuNode?: boolean;
    failNode?: string;
    recoveryWindow?: string;
  } = {},
) {
  const n = opts.chain ?? 3;
  const ms = opts.ms ?? 500;
  return {
    name,
    tags: opts.tags ?? ['prod-test'],
    ...(opts.priority !== undefined && { priority: opts.priority }),
    ...(opts.recoveryWindow !== undefined && { recoveryWindow: opts.recoveryWindow }),
    nodes: Array.from({ length: n }, (_, i) => {
      const id = `s${i}`;
      const fail = opts.failNode === id;
      return {
        id,
        type: 'command',
        ...(i > 0 && { dependsOn: [`s${i - 1}`] }),
        ...(opts.gpuNode && i === n - 1 && { resources: { gpus: 1 } }),
        retry: { maxAttempts: fail ? 1 : 3, initialInterval: 200, maxInterval: 1000 },
        config: {
          command: ['node', '-e', fail ? 'process.exit(3)' : `setTimeout(() => {}, ${ms})`],
        },
      };
    }),
  };
}
