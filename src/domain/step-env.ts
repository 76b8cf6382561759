// What a command node's `env` may not set. Each of these changes which code runs before (or
// instead of) the program the allowlist names — the dynamic loader's preloads and search path, an
// interpreter's startup hooks and home, a shell's startup file — or is set by the step itself.
// Refused at validation, with the field's path; the sandbox sets PATH, HOME and TMPDIR itself.
// Sandbox-safe.

/** Refused by prefix: the dynamic loader (glibc, macOS). */
const DENIED_PREFIXES = ['LD_', 'DYLD_'] as const;

/** Refused by name, with the reason a user sees. */
const DENIED: Record<string, string> = {
  PATH: 'the sandbox sets PATH; the allowlist decides what runs, never the step',
  NODE_OPTIONS: 'it loads code into node before the program (--require, --import)',
  PYTHONSTARTUP: 'it runs a file in every interactive python',
  PYTHONHOME: "it replaces python's standard library",
  PYTHONINSPECT: 'it opens an interactive prompt after the program',
  PYTHONEXECUTABLE: "it changes python's idea of its own executable",
  PYTHONUSERBASE: 'it adds a user site folder to every python',
  PERL5OPT: 'it loads code into perl before the program',
  RUBYOPT: 'it loads code into ruby before the program',
  BASH_ENV: 'it runs a file in every non-interactive bash',
  ENV: 'it runs a file in every sh',
  GCONV_PATH: "it loads glibc's character-set modules from a folder",
  HOME: 'the sandbox sets HOME',
  TMPDIR: 'the sandbox sets TMPDIR',
  JOB_INPUT: 'the step sets it',
  JOB_OUTPUT_DIR: 'the step sets it',
  CUDA_VISIBLE_DEVICES: "the GPU allocator sets it from the step's GPUs",
};

/** Why `name` may not be set in a command node's env, or undefined when it may. */
export function deniedEnvReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  const prefix = DENIED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `${prefix}* variables change what the dynamic loader loads into the program`;
  if (upper.startsWith('TRAINYARD_')) return 'TRAINYARD_* variables are set by the step';
  return Object.hasOwn(DENIED, upper) ? DENIED[upper] : undefined;
}
