// Loads the operator's step templates file (TRAINYARD_STEP_TEMPLATES) once at start. A bad file
// stops the process with every problem named (the variable, the file and the field's path).
import fs from 'node:fs';
import { allowlistMayAdmit } from './domain/allowlist';
import { issueDetails } from './domain/issues';
import { deniedEnvReason } from './domain/step-env';
import { parseConfigText } from './sdk/config-parse';
import { StepTemplatesFile, templateNameProblems, type StepTemplates } from './domain/step-templates';

const MAX_BYTES = 1024 * 1024;

export function loadStepTemplates(file: string | undefined, allowedCommands?: string[]): StepTemplates {
  if (file === undefined) return {};
  const fail = (why: string): never => {
    throw new Error(`invalid configuration:\n  TRAINYARD_STEP_TEMPLATES: ${file}: ${why}`);
  };
  let text = '';
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) fail('not a file');
    if (stat.size > MAX_BYTES) fail(`larger than ${MAX_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('invalid configuration')) throw err;
    fail(`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    // The same budgets as a tenant's config file (size, aliases, depth, nodes); errors quote nothing.
    data = parseConfigText(text, 'yaml');
  } catch (err) {
    fail((err as Error).message);
  }
  const parsed = StepTemplatesFile.safeParse(data);
  if (!parsed.success) {
    // zod skips the name check when a template's body is wrong too; name both.
    const raw = (data as { templates?: unknown } | null)?.templates;
    const names = raw && typeof raw === 'object' ? Object.keys(raw) : [];
    const problems = [
      ...names.flatMap((n) => templateNameProblems(n).map((m) => `templates.${n}: ${m}`)),
      ...issueDetails(parsed.error.issues).map((d) => `${d.path || '(file)'}: ${d.message}`),
    ];
    fail([...new Set(problems)].join('; '));
  }
  const templates = parsed.data!.templates;
  const badEnv = Object.entries(templates).flatMap(([n, t]) =>
    Object.keys(t.env).flatMap((k) => {
      const why = deniedEnvReason(k);
      return why ? [`templates.${n}.env.${k}: may not be set: ${why}`] : [];
    }),
  );
  if (badEnv.length) fail(badEnv.join('; '));
  if (allowedCommands) {
    const bad = Object.entries(templates).filter(([, t]) => !allowlistMayAdmit(allowedCommands, t.command[0]!));
    if (bad.length)
      fail(
        bad
          .map(
            ([n, t]) =>
              `templates.${n}.command[0]: "${t.command[0]}" is not on TRAINYARD_ALLOWED_COMMANDS (${allowedCommands.join(', ')})`,
          )
          .join('; '),
      );
  }
  const aliasOwners = new Map<string, string>();
  for (const [name, t] of Object.entries(templates))
    for (const alias of t.aliases) {
      const other = aliasOwners.get(alias);
      if (other) fail(`templates.${name}.aliases: "${alias}" is already an alias of template "${other}"`);
      aliasOwners.set(alias, name);
    }
  return templates;
}
