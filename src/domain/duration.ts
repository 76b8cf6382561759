// Durations in specs: "250ms", "30s", "5m", "2h", "1d" strings or plain millisecond numbers.
// Sandbox-safe: used by the workflow.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
/** Upper bound for any duration in a spec: 30 days. */
export const MAX_DURATION_MS = 30 * UNIT_MS.d;

/** Parses "30s" / 1500 into milliseconds; returns null when the value is not a duration. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  const m = DURATION_RE.exec(value.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** A duration field: accepts a string or ms number, yields milliseconds (a number, in JSON Schema too). */
export const Duration = cachedSchema('src/domain/duration#Duration', () =>
  z
    .union([z.string().max(32), z.number()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid duration ${JSON.stringify(v)}: use e.g. "500ms", "30s", "5m", "2h" or milliseconds`,
        });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: `duration ${JSON.stringify(v)} exceeds the 30-day maximum` });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(z.number()),
);
export type Duration = z.output<typeof Duration>;
