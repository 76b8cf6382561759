// `npm run demo`: starts the embedded stack (or uses a running `npm start`), submits
// examples/pipeline.yaml over the HTTP API, shows live per-node progress, prints the metrics, the
// artifacts and where to look, stops what it started, and exits 0 when the job completed.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../config';
import { applyDevDefaults } from './dev-env';
import { loadOrCreateDevKey } from './dev-key';
import { readLock } from './lock';
import { startStack, type Stack } from './stack';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', process.env.TRAINYARD_DEMO_EXAMPLE ?? 'pipeline.yaml');

interface NodeView {
  id: string;
  type: string;
  status: string;
  attempts?: number;
  durationMs?: number;
  live?: Record<string, unknown>;
  output?: { summary?: Record<string, unknown> };
  error?: { message: string };
}
interface JobView {
  id: string;
  status: string;
  progress?: number;
  nodes: NodeView[];
}

async function main() {
  const t0 = Date.now();
  const say = (l: string) => console.log(`[demo ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${l}`);
  for (const note of applyDevDefaults()) say(note);
  const config = loadConfig();
  let stack: Stack | undefined;
  let apiUrl: string;
  let apiKey: string | undefined = process.env.TRAINYARD_API_KEY;
  let uiUrl: string | null;
  const running = readLock(config.home);
  if (running) {
    say(`using the running stack (pid ${running.pid}) at ${running.apiUrl}`);
    apiUrl = running.apiUrl;
    uiUrl = running.uiUrl;
    apiKey ??= loadOrCreateDevKey(config.home);
  } else {
    say('starting the embedded stack: Temporal dev server, CPU + GPU workers, API …');
    stack = await startStack(config, { log: say });
    apiUrl = stack.apiUrl;
    apiKey ??= stack.apiKey;
    uiUrl = stack.uiUrl;
  }
  let exitCode = 1;
  try {
    const spec = YAML.parse(fs.readFileSync(EXAMPLE, 'utf8')) as unknown;
    const headers = { 'content-type': 'application/json', ...(apiKey && { 'x-api-key': apiKey }) };
    const res = await fetch(`${apiUrl}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(spec) });
    const created = (await res.json()) as { id?: string; error?: { message: string; details?: unknown } };
    if (!res.ok || !created.id) throw new Error(`submit failed (${res.status}): ${JSON.stringify(created.error ?? created)}`);
    const jobId = created.id;
    say(`submitted ${path.relative(process.cwd(), EXAMPLE)} as job ${jobId}`);

    const seen = new Map<string, string>();
    let job: JobView;
    for (;;) {
      const r = await fetch(`${apiUrl}/v1/jobs/${jobId}`, { headers });
      job = (await r.json()) as JobView;
      for (const n of job.nodes ?? []) {
        const live = n.live && typeof n.live.epoch === 'number' ? ` epoch ${n.live.epoch}/${n.live.epochs} loss ${Number(n.live.loss).toFixed(4)}` : '';
        const line = `${n.status}${live}`;
        if (seen.get(n.id) !== line) {
          seen.set(n.id, line);
          const extra = n.status === 'failed' && n.error ? ` — ${n.error.message.split('\n')[0]}` : n.durationMs !== undefined && n.status === 'completed' ? ` in ${n.durationMs} ms` : '';
          say(`  ${n.id.padEnd(12)} ${n.type.padEnd(10)} ${line}${extra}`);
        }
      }
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 400));
    }
    say(`job ${jobId} ${job.status.toUpperCase()}`);
    printResults(job);
    const arts = await fetch(`${apiUrl}/v1/jobs/${jobId}/artifacts`, { headers }).then((r) => r.json() as Promise<{ artifacts?: { path: string; size: number }[] }>);
    if (arts.artifacts?.length) {
      console.log(`\nArtifacts (in ${path.join(config.artifactRoot, 'runs', jobId)}):`);
      // Every checkpoint is kept (a retry may resume from any); list only the latest.
      const checkpoints = arts.artifacts.filter((a) => a.path.includes('/checkpoints/'));
      for (const a of arts.artifacts) {
        if (checkpoints.includes(a) && a !== checkpoints.at(-1)) continue;
        const more = a === checkpoints.at(-1) && checkpoints.length > 1 ? `, latest of ${checkpoints.length} checkpoints` : '';
        console.log(`  ${a.path}  (${a.size} bytes${more})`);
      }
    }
    console.log(
      [
        '',
        'Where to look:',
        uiUrl ? `  Web UI:        ${uiUrl}/namespaces/${config.temporal.namespace}/workflows/${jobId}   (while \`npm start\` runs)` : '',
        `  API:           curl -H "X-API-Key: $TRAINYARD_API_KEY" ${apiUrl}/v1/jobs/${jobId}`,
        `  Temporal CLI:  .temporal/bin/temporal workflow describe -w ${jobId}`,
        `                 .temporal/bin/temporal workflow list --query 'JobStatus="${job.status}"'`,
        `  Job files:     ${path.join(config.artifactRoot, 'runs', jobId)}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
    exitCode = job.status === 'completed' ? 0 : 1;
  } finally {
    if (stack) {
      say('stopping the embedded stack …');
      await stack.stop();
    }
  }
  process.exit(exitCode);
}

function printResults(job: JobView) {
  for (const n of job.nodes) {
    const s = n.output?.summary;
    if (!s) continue;
    if (n.type === 'evaluate' && s.metrics) console.log(`\nMetrics (${n.id}):\n${JSON.stringify(s.metrics, null, 2)}`);
    if (n.type === 'export') {
      const parity = s.parity as { maxAbsDiff?: number; tolerance?: number; passed?: boolean } | undefined;
      const latency = (s.latency as { batch: number; p50Ms: number; p99Ms: number }[] | undefined) ?? [];
      console.log(`\nExport (${n.id}): ${String(s.onnx)} — opset ${String(s.opset)}, provider ${String(s.executionProvider)}`);
      if (parity) console.log(`  ONNX parity vs the trained model: max |diff| ${parity.maxAbsDiff?.toExponential(2)} (tolerance ${parity.tolerance}) ${parity.passed ? 'PASSED' : 'FAILED'}`);
      for (const l of latency) console.log(`  inference latency, batch ${l.batch}: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`);
    }
    if (n.type === 'command') console.log(`\n${n.id}: ${JSON.stringify(s, null, 2)}`);
  }
}

main().catch((err: Error) => {
  console.error(`[demo] failed: ${err.message}`);
  process.exit(1);
});
