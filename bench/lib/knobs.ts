// The benchmarks' exploration knobs (environment variables), validated like any other config: a bad
// value stops the benchmark before it starts anything and names the variable.
import { z } from 'zod';

/** A comma-separated list of positive integers ("1000,50000"). */
export const SizeList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^\d+$/, 'each size is a whole number')
          .transform(Number)
          .pipe(z.number().int().min(1).max(1_000_000)),
      )
      .min(1),
  );

export const PositiveCount = z.coerce.number().int().min(1);

/** A JSON object of string settings ('{"TRAINYARD_WORKFLOW_THREADS":"2"}'). */
export const EnvJson = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of strings' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.string()));

/** `process.env[name]` parsed by `schema`, or `fallback` when unset; throws naming the variable when it does not parse. */
export function knob<S extends z.ZodType>(name: string, schema: S, fallback: z.output<S>): z.output<S> {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`${name}=${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
