// Zod schemas built once per V8 context instead of once per job.
//
// The workflow sandbox (one reusable V8 context per worker thread) gives every workflow its own
// webpack module cache, so without this each new job re-evaluated every schema module the job
// workflow imports: zod 4 attaches dozens of closures to each schema it builds, and that
// construction was most of a single-step job's workflow CPU (bench/README.md §10). This module is
// preloaded into the shared context (workers/workflow-bundle.ts `preloadModules`), so its map is
// one per context: the first workflow builds a schema, every later one reuses it. Everything here
// stays zod-free and keeps its state in a closure: the SDK deep-freezes preloaded modules' exports,
// which zod schemas cannot survive (they define properties lazily), but it cannot reach a closure.
//
// Schemas are immutable once built and parsing is deterministic, so sharing them between
// workflows cannot change what any workflow does; outside the sandbox (API, CLI, activities) the
// map is simply one per process. Keys are `<file>#<export>` and must be unique
// (test/unit/schema-cache.test.ts checks every module-level schema goes through here).
const built = new Map<string, unknown>();

/** The schema registered under `key`, built by `build` the first time it is asked for in this context. */
export function cachedSchema<T>(key: string, build: () => T): T {
  if (built.has(key)) return built.get(key) as T;
  const schema = build();
  built.set(key, schema);
  return schema;
}
