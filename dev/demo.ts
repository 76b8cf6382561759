// `npm run demo`: starts the embedded stack (or uses a running `npm start`), submits
// examples/pipeline.yaml over the HTTP API, shows live per-node progress, prints the metrics, the
// artifacts and where to look, stops what it started, and exits 0 when the job completed.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../src/config';
import { TERMINAL_JOB_STATUSES } from '../src/domain/statuses';
import type { JobView } from '../src/http/contracts';
import { ApiRequestError, TrainyardClient } from '../src/sdk/api-client';
import { applyDevDefaults, demoSettings } from './dev-env';
import { loadOrCreateDevKey } from './dev-key';
import { readLock } from './lock';
import { startStack, type Stack } from './stack';
import { temporalCliHint } from '../src/temporal/cli-path';

/** What the demo prints of an export step's summary (the step reports more). */
const ExportSummaryShown = z.object({
  onnx: z.string().optional(),
  opset: z.number().optional(),
  executionProvider: z.string().optional(),
  parity: z
    .object({ maxAbsDiff: z.number().optional(), tolerance: z.number().optional(), passed: z.boolean().optional() })
    .optional(),
  latency: z.array(z.object({ batch: z.number(), p50Ms: z.number(), p99Ms: z.number() })).default([]),
});

async function main() {
  const t0 = Date.now();
  const say = (l: string) => console.log(`[demo ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${l}`);
  for (const note of applyDevDefaults()) say(note);
  const config = loadConfig();
  const settings = demoSettings();
  const EXAMPLE = settings.example;
  let stack: Stack | undefined;
  let apiUrl: string;
  let apiKey = settings.apiKey;
  let uiUrl: string | null;
  let temporalAddress: string;
  const running = readLock(config.home);
  if (running) {
    say(`using the running stack (pid ${running.pid}) at ${running.apiUrl}`);
    apiUrl = running.apiUrl;
    uiUrl = running.uiUrl;
    temporalAddress = running.temporalAddress;
    apiKey ??= loadOrCreateDevKey(config.home);
  } else {
    say('starting the embedded stack: Temporal dev server, CPU + GPU workers, API …');
    stack = await startStack(config, { log: say });
    apiUrl = stack.apiUrl;
    apiKey ??= stack.apiKey;
    uiUrl = stack.uiUrl;
    temporalAddress = stack.temporalAddress;
  }
  const T = temporalCliHint(temporalAddress, config.temporal.namespace);
  let exitCode = 1;
  try {
    const spec: unknown = YAML.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    const client = new TrainyardClient({ url: apiUrl, apiKey });
    const created = await client.submit(spec).catch((err: unknown) => {
      if (err instanceof ApiRequestError)
        throw new Error(
          `submit failed (${err.status}): ${JSON.stringify({ code: err.code, message: err.message, details: err.details })}`,
        );
      throw err;
    });
    const jobId = created.id;
    say(`submitted ${path.relative(process.cwd(), EXAMPLE)} as job ${jobId}`);

    const seen = new Map<string, string>();
    let job: JobView;
    for (;;) {
      job = await client.getJob(jobId);
      for (const n of job.nodes) {
        const live =
          n.live?.epoch !== undefined
            ? ` epoch ${n.live.epoch}/${n.live.epochs} loss ${Number(n.live.loss).toFixed(4)}`
            : '';
        const line = `${n.status}${live}`;
        if (seen.get(n.id) !== line) {
          seen.set(n.id, line);
          const extra =
            n.status === 'failed' && n.error
              ? ` — ${n.error.message.split('\n')[0]}`
              : n.durationMs !== undefined && n.status === 'completed'
                ? ` in ${n.durationMs} ms`
                : '';
          say(`  ${n.id.padEnd(12)} ${n.type.padEnd(10)} ${line}${extra}`);
        }
      }
      if (TERMINAL_JOB_STATUSES.has(job.status)) break;
      await new Promise((r) => setTimeout(r, 400));
    }
    say(`job ${jobId} ${job.status.toUpperCase()}`);
    printResults(job);
    const artifacts = await client.listArtifacts(jobId);
    if (artifacts.length) {
      console.log(`\nArtifacts (in ${path.join(config.artifactRoot, 'runs', jobId)}):`);
      // Every checkpoint is kept (a retry may resume from any); list only the latest.
      const checkpoints = artifacts.filter((a) => a.path.includes('/checkpoints/'));
      for (const a of artifacts) {
        if (checkpoints.includes(a) && a !== checkpoints.at(-1)) continue;
        const more =
          a === checkpoints.at(-1) && checkpoints.length > 1 ? `, latest of ${checkpoints.length} checkpoints` : '';
        console.log(`  ${a.path}  (${a.size} bytes${more})`);
      }
    }
    console.log(
      [
        '',
        'Where to look:',
        uiUrl
          ? `  Web UI:        ${uiUrl}/namespaces/${config.temporal.namespace}/workflows/${jobId}   (while \`npm start\` runs)`
          : '',
        `  API:           curl -H "X-API-Key: $TRAINYARD_API_KEY" ${apiUrl}/v1/jobs/${jobId}`,
        `  Temporal CLI:  ${T} workflow describe -w ${jobId}`,
        `                 ${T} workflow list --query 'JobStatus="${job.status}"'`,
        `  Job files:     ${path.join(config.artifactRoot, job.owner, 'runs', jobId)}`,
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
    const exported = n.type === 'export' ? ExportSummaryShown.safeParse(s) : undefined;
    if (exported?.success) {
      const { parity, latency } = exported.data;
      console.log(
        `\nExport (${n.id}): ${String(exported.data.onnx)} — opset ${String(exported.data.opset)}, provider ${String(exported.data.executionProvider)}`,
      );
      if (parity)
        console.log(
          `  ONNX parity vs the trained model: max |diff| ${parity.maxAbsDiff?.toExponential(2)} (tolerance ${parity.tolerance}) ${parity.passed ? 'PASSED' : 'FAILED'}`,
        );
      for (const l of latency)
        console.log(`  inference latency, batch ${l.batch}: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`);
    }
    if (n.type === 'command') console.log(`\n${n.id}: ${JSON.stringify(s, null, 2)}`);
  }
}

main().catch((err: Error) => {
  console.error(`[demo] failed: ${err.message}`);
  process.exit(1);
});
