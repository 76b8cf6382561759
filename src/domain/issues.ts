// zod issues → `{ path, message }` details and one-line messages: the one way every edge (HTTP,
// config, activity inputs, signals, the spec validator) reports what was wrong. Sandbox-safe.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

/** One problem with an input, named by its JSON path ("nodes[3].dependsOn[0]"). */
export const ErrorDetail = cachedSchema('src/domain/issues#ErrorDetail', () =>
  z.object({ path: z.string(), message: z.string() }),
);
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** ["nodes", 3, "id"] → "nodes[3].id". */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/**
 * zod issues → details. `prefix` says where the value came from (["body"], ["config"]); an
 * unknown key gets its own path; a union of wrong types says what each alternative expected.
 */
export function issueDetails(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...base, key]), message: `unknown field "${key}"` });
    } else if (
      issue.code === 'invalid_union' &&
      issue.errors.length > 0 &&
      issue.errors.every((b) => b[0]?.code === 'invalid_type')
    ) {
      // "Invalid input" alone says nothing; name what each alternative expected.
      const expected = [...new Set(issue.errors.map((b) => (b[0] as z.core.$ZodIssueInvalidType).expected))];
      out.push({ path: formatPath(base), message: `Invalid input: expected ${expected.join(' or ')}` });
    } else {
      out.push({ path: formatPath(base), message: issue.message });
    }
  }
  return out;
}

/** "a.b: msg; c: msg; …" — at most `limit` details, `(input)` for the root. */
export function detailsMessage(details: readonly ErrorDetail[], limit = 20): string {
  const listed = details.slice(0, limit).map((d) => `${d.path || '(input)'}: ${d.message}`);
  return listed.join('; ') + (details.length > limit ? '; …' : '');
}

/** Parses or throws an Error whose message lists every problem (for signals and other inputs that cannot answer). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = 'input'): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new Error(`invalid ${what}: ${detailsMessage(issueDetails(r.error.issues))}`);
}
