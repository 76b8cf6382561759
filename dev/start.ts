// `npm start`: the whole local stack in the foreground until Ctrl-C / SIGTERM.
import { loadConfig } from '../src/config';
import { applyDevDefaults } from './dev-env';
import { startStack } from './stack';
import { temporalCliHint } from '../src/temporal/cli-path';

async function main() {
  for (const note of applyDevDefaults()) console.log(`[trainyard] ${note}`);
  const config = loadConfig();
  const stack = await startStack(config, { log: (l) => console.log(`[trainyard] ${l}`) });
  console.log(
    [
      '',
      'Trainyard is running.',
      `  API            ${stack.apiUrl}   (docs: ${stack.apiUrl}/docs — user "${config.api.docsUser}", password ${config.api.docsPassword ? 'TRAINYARD_DOCS_PASSWORD' : 'the dev API key'})`,
      `  Dashboard      ${stack.apiUrl}/ui   (sign in with an API key)`,
      stack.apiKey
        ? `  API key        ${stack.apiKey}   (dev key, owner "dev", admin; export TRAINYARD_API_KEY=${stack.apiKey})`
        : '  API keys       from TRAINYARD_API_KEYS / TRAINYARD_API_KEYS_FILE',
      `  Temporal       ${stack.temporalAddress}   (CLI: ${temporalCliHint(stack.temporalAddress, config.temporal.namespace)} workflow list)`,
      stack.uiUrl ? `  Web UI         ${stack.uiUrl}` : '',
      `  State          ${config.home}`,
      '',
      'Submit a job:  npx trainyard submit examples/pipeline.yaml --watch',
      'Press Ctrl-C to stop.',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[trainyard] ${sig}: stopping API, draining workers, stopping Temporal …`);
    await stack.stop();
    console.log('[trainyard] stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`[trainyard] ${err.message}`);
  process.exit(1);
});
