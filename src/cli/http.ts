// The CLI's side of the SDK: one TrainyardClient per run, and the SDK's errors turned into messages
// people can act on.
import { ApiConnectionError, ApiRequestError, ApiResponseError, TrainyardClient } from '../sdk/api-client';
import { NO_ERROR_BODY } from '../http/contracts';

export interface CliEnv {
  url: string;
  apiKey?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function clientFor(env: CliEnv): TrainyardClient {
  return new TrainyardClient({ url: env.url, apiKey: env.apiKey });
}

/** Formats an API error: message, then every detail path as given. */
export function formatApiError(err: ApiRequestError): string {
  if (err.code === NO_ERROR_BODY) return err.message;
  const lines = [`${err.message} (HTTP ${err.status}, ${err.code})`];
  for (const d of err.details) lines.push(`  ${d.path}: ${d.message}`);
  return lines.join('\n');
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The CliError for an error of the SDK (anything else is passed through). */
export function cliErrorFrom(env: CliEnv, err: unknown): unknown {
  if (err instanceof ApiRequestError) {
    if (err.status === 401 && !env.apiKey)
      return new CliError(`${formatApiError(err)}\n  set TRAINYARD_API_KEY (npm start prints the dev key)`);
    return new CliError(formatApiError(err));
  }
  if (err instanceof ApiConnectionError) {
    if (err.code !== undefined && UNREACHABLE.has(err.code))
      return new CliError(
        `cannot reach the Trainyard API at ${env.url} (${err.code}) — is \`npm start\` running? (set TRAINYARD_URL to point elsewhere)`,
      );
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
    return new CliError(`request to ${env.url} failed: ${cause}`);
  }
  if (err instanceof ApiResponseError) return new CliError(err.message);
  return err;
}

/** Runs SDK calls, reporting their errors as CliErrors. */
export async function api<T>(env: CliEnv, fn: (client: TrainyardClient) => Promise<T>): Promise<T> {
  try {
    return await fn(clientFor(env));
  } catch (err) {
    throw cliErrorFrom(env, err);
  }
}
