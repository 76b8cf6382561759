// docker-compose.yml is the one description of how each Trainyard role starts: prod:local reads a
// service's command and environment from it, with compose's own variable interpolation
// (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$), so the processes it starts run
// exactly what the containers run, pointed at this machine's paths and ports through the variables.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

export const COMPOSE_FILE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');

/** What prod:local needs of a compose service. */
const Service = z.object({
  command: z.array(z.string()).min(1).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  build: z.unknown().optional(),
  image: z.string().optional(),
});
const ComposeFile = z.object({ services: z.record(z.string(), Service.passthrough()) });

export interface ServiceCommand {
  name: string;
  argv: string[];
  env: Record<string, string>;
}

/** Compose's interpolation of one string; throws for ${VAR:?msg} when VAR is unset or empty. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare!;
      const value = vars[name];
      const missing = colon === ':' ? value === undefined || value === '' : value === undefined;
      if (op === '-') return missing ? interpolate(arg ?? '', vars) : value!;
      if (op === '?') {
        if (missing) throw new Error(`docker-compose.yml: ${name} is required: ${arg || 'not set'}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

export function readCompose(file = COMPOSE_FILE): z.infer<typeof ComposeFile> {
  const doc: unknown = YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true });
  const parsed = ComposeFile.safeParse(doc);
  if (!parsed.success)
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A service's command and environment, interpolated with `vars` (what a compose run would see). */
export function serviceCommand(
  name: string,
  vars: Record<string, string | undefined>,
  compose = readCompose(),
): ServiceCommand {
  const svc = compose.services[name];
  if (!svc) throw new Error(`docker-compose.yml has no service "${name}"`);
  if (!svc.command) throw new Error(`docker-compose.yml: service "${name}" has no command`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment ?? {})) if (v !== null) env[k] = interpolate(String(v), vars);
  return { name, argv: svc.command.map((a) => interpolate(a, vars)), env };
}

/** The services compose builds from this repository (the Trainyard roles). */
export function trainyardServices(compose = readCompose()): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build !== undefined)
    .map(([n]) => n);
}
