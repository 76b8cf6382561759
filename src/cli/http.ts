// The CLI's HTTP client: JSON in and out, X-API-Key, and errors people can act on.
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

interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: { path: string; message: string }[] };
}

/** Formats an API error: message, then every detail path as given. */
export function formatApiError(status: number, body: ApiErrorBody | undefined): string {
  const e = body?.error;
  if (!e) return `request failed with HTTP ${status}`;
  const lines = [`${e.message ?? 'request failed'} (HTTP ${status}${e.code ? `, ${e.code}` : ''})`];
  for (const d of e.details ?? []) lines.push(`  ${d.path}: ${d.message}`);
  return lines.join('\n');
}

function connectionHint(env: CliEnv, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new CliError(`cannot reach the Trainyard API at ${env.url} (${code}) — is \`npm start\` running? (set TRAINYARD_URL to point elsewhere)`);
  }
  return new CliError(`request to ${env.url} failed: ${(err as Error).message}`);
}

export async function request(env: CliEnv, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (env.apiKey) h['x-api-key'] = env.apiKey;
  if (body !== undefined) h['content-type'] = 'application/json';
  try {
    return await fetch(`${env.url.replace(/\/$/, '')}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw connectionHint(env, err);
  }
}

export async function api<T>(env: CliEnv, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const res = await request(env, method, path, body, headers);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !env.apiKey) throw new CliError(`${formatApiError(res.status, parsed as ApiErrorBody)}\n  set TRAINYARD_API_KEY (npm start prints the dev key)`);
    throw new CliError(formatApiError(res.status, parsed as ApiErrorBody));
  }
  return parsed as T;
}
