// The SDK's config edge: where a program's TrainyardClient points when it is not told
// (TRAINYARD_URL, TRAINYARD_API_KEY — the same variables the CLI and the Python client read).
import type { TrainyardClientOptions } from './api-client';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** Client options from an environment (default: this process's). */
export function clientOptionsFromEnv(env: Record<string, string | undefined> = process.env): TrainyardClientOptions {
  return { url: env.TRAINYARD_URL || DEFAULT_API_URL, apiKey: env.TRAINYARD_API_KEY || undefined };
}
