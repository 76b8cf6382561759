// The no-op step of the hop benchmark's own workflows (bench/hop/workflows.ts); the Go twin is GoNoop.
export function hopNoop(): Promise<{ summary: Record<string, unknown>; artifacts: unknown[] }> {
  return Promise.resolve({ summary: {}, artifacts: [] });
}
