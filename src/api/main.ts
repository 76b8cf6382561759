// The API's production entry point (`node --import tsx src/api/main.ts`; docker-compose's and
// `npm run prod:local`'s api service): config from the environment, one Temporal connection, the
// HTTP server; SIGTERM/SIGINT stop accepting, close streams and connections, exit 0. Unlike
// `npm start` it never makes up a key: with no API keys configured it refuses to start.
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { temporalConnectionOptions } from '../temporal/connection';
import { startApiServer, type ApiServer } from './server';

let logger: Logger = createLogger('api');
const log = (line: string) => logger.info(line);
const fail = (line: string) => logger.error(line);

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
    logger = createLogger('api', config.logLevel);
    if (!config.api.apiKeys && !config.api.apiKeysFile)
      throw new Error('set TRAINYARD_API_KEYS_FILE (or TRAINYARD_API_KEYS): a production API has no development key');
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
    return 2;
  }
  let connection: Connection;
  try {
    connection = await Connection.connect(temporalConnectionOptions(config));
  } catch (err) {
    fail(`cannot connect to Temporal at ${config.temporal.address ?? '(unset)'}: ${(err as Error).message}`);
    return 2;
  }
  let api: ApiServer;
  try {
    api = await startApiServer({
      client: new Client({ connection, namespace: config.temporal.namespace }),
      config,
      logger,
    });
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
    await connection.close();
    return 2;
  }
  log(
    `listening on ${api.url} (Temporal ${config.temporal.address}${config.temporal.tls ? ', mTLS' : ''}, namespace ${config.temporal.namespace})`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log(`${signal}: closing`);
  process.once(signal, () => process.exit(130)); // a second signal exits at once
  await api.close();
  await connection.close();
  log('closed; exiting');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.fatal({ err }, 'crashed');
    process.exit(1);
  },
);
