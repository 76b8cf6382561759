// Owners' data folders. Under TRAINYARD_DATA_ROOT each owner has a folder of their own,
// `<owner>/…`, and admins share files with every owner in `_shared/…` (read-only: the API and the
// steps only read there; an owner name never starts with "_", so no owner's folder is the shared
// one). A dataset `path` and an API `configPath`/`paramsFile` name their folder first
// (`alice/train.csv`, `_shared/iris.csv`): whose file it is shows in the spec, and a submission is
// checked without the file system — the API host need not see the data workers read. Sandbox-safe.
import type { ErrorDetail } from './issues';
import type { JobSpec } from './job-spec';

/** The folder of the data root every owner may read. */
export const SHARED_DATA_FOLDER = '_shared';

/** Why `rel` is not a file in `owner`'s data folder or the shared one; undefined when it is. */
export function dataPathProblem(rel: string, owner: string): string | undefined {
  const segs = rel.split(/[\\/]/);
  const first = segs[0];
  if ((first === owner || first === SHARED_DATA_FOLDER) && segs.length > 1 && segs.at(-1) !== '') return undefined;
  return `must name a file in your data folder ("${owner}/…") or the shared one ("${SHARED_DATA_FOLDER}/…")`;
}

/** Every dataset node of a spec whose `path` is outside its owner's folders, by field. */
export function foreignDataPaths(spec: JobSpec, owner: string): ErrorDetail[] {
  return spec.nodes.flatMap((n, i) => {
    const p = n.type === 'dataset' ? n.config.path : undefined;
    const problem = typeof p === 'string' ? dataPathProblem(p, owner) : undefined;
    return problem ? [{ path: `nodes[${i}].config.path`, message: problem }] : [];
  });
}
