/** Links of a job's resources. */
export function jobLinks(id: string): Record<string, string> {
  const base = `/v1/jobs/${encodeURIComponent(id)}`;
  return {
    self: base,
    stream: `${base}/stream`,
    events: `${base}/events`,
    logs: `${base}/logs?node={node}`,
    artifacts: `${base}/artifacts`,
    pause: `${base}/pause`,
    resume: `${base}/resume`,
    cancel: `${base}/cancel`,
    recover: `${base}/recover`,
  };
}
