// PLACEHOLDER until the spec validator lands: schema parse only. Signature is final.
import { JobSpec } from './job-spec';

export interface ValidationError {
  /** JSON path, e.g. "nodes[3].dependsOn[0]". */
  path: string;
  message: string;
}

export interface ValidationContext {
  /** Executables a `command` node may run (TRAINYARD_ALLOWED_COMMANDS). Omitted = not checked (workflow re-validation). */
  allowedCommands?: string[];
  /** GPU pools; omitted = not checked. */
  pools?: { name: string; gpusPerWorker: number; memoryGb: number }[];
}

export type ValidationResult = { ok: true; spec: JobSpec } | { ok: false; errors: ValidationError[] };

export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

export function validateJob(input: unknown, _ctx: ValidationContext = {}): ValidationResult {
  const r = JobSpec.safeParse(input);
  if (!r.success) return { ok: false, errors: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  return { ok: true, spec: r.data };
}
