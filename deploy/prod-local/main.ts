// `npm run prod:local` — the production topology on this machine (deploy/prod-local/topology.ts),
// started in the background; `npm run prod:local -- --down` stops every process it started;
// `-- --status` lists them.
import { loadSettings } from './config';
import { running } from './processes';
import { readProdLocalState } from './state';
import { down, planTopology, up } from './topology';

async function main(argv: string[]): Promise<number> {
  const mode = argv.includes('--down') ? 'down' : argv.includes('--status') ? 'status' : 'up';
  const unknown = argv.filter((a) => !['--down', '--status'].includes(a));
  if (unknown.length) {
    console.error(`unknown argument ${unknown[0]} (use --down or --status)`);
    return 2;
  }
  const log = (line: string) => console.log(`[prod:local] ${line}`);
  const t = planTopology(loadSettings(), log);
  if (mode === 'down') {
    await down(t);
    log('everything is stopped');
    return 0;
  }
  if (mode === 'status') {
    for (const name of [
      'temporal-server',
      'temporal-ui',
      'api',
      'cpu-worker',
      ...Array.from({ length: t.settings.gpuWorkers }, (_, i) => `gpu-worker-${i + 1}`),
    ]) {
      const r = running(t.dirs, name);
      console.log(`${name.padEnd(16)} ${r ? `running (pid ${r.pid}) — ${r.logFile}` : 'stopped'}`);
    }
    return 0;
  }
  try {
    await up(t);
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    log('stopping what was started (npm run prod:local -- --down) …');
    await down(t).catch(() => undefined);
    return 1;
  }
  const s = readProdLocalState(t.home);
  console.log(
    [
      '',
      'Trainyard production topology is running (all on 127.0.0.1):',
      `  API          ${s.api.url}   (keys: ${s.api.keysFile})`,
      `  Temporal     ${s.temporal.address}   (mTLS: CA ${s.temporal.tls.ca}; namespace ${s.temporal.namespace}, retention ${s.temporal.retention})`,
      `  Web UI       ${s.temporal.uiUrl}`,
      `  PostgreSQL   127.0.0.1:${s.postgres.port}`,
      `  Build        ${s.deploymentName}/${s.buildId} (Worker Versioning)`,
      `  State, logs  ${s.home}`,
      '',
      'npm run test:prod runs the production suite on it; npm run prod:local -- --down stops it.',
    ].join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
