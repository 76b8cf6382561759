// A small builder for job specs, in the seeds' spirit:
//   new JobDAG('iris').add({ id: 'data', type: 'dataset', config: { name: 'iris' } })
//     .add({ id: 'split', type: 'split', dependsOn: ['data'] }) …
// It only assembles a JobSpecInput; validation is the shared validator's job. No Temporal imports.
import { DagCycleError, DagError, stages } from '../domain/dag';
import type { JobSpecInput, NodeSpecInput } from '../domain/job-spec';
import { validateJob, type ValidationContext, type ValidationResult } from '../domain/validate';

/** Job-level fields of the spec (everything but name and nodes). */
export type JobDAGOptions = Omit<JobSpecInput, 'name' | 'nodes'>;

export class JobDAG {
  private readonly nodes: NodeSpecInput[] = [];
  private readonly byId = new Map<string, NodeSpecInput>();

  constructor(
    readonly name: string,
    private readonly options: JobDAGOptions = {},
  ) {}

  /** Builds a JobDAG from an existing spec (e.g. a job file). */
  static fromSpec(spec: JobSpecInput): JobDAG {
    const { name, nodes, ...options } = spec;
    const dag = new JobDAG(name, options);
    for (const node of nodes) dag.add(node);
    return dag;
  }

  /** Adds one node or several; its `dependsOn` may name nodes added later. Throws on a repeated id. */
  add(node: NodeSpecInput | readonly NodeSpecInput[]): this {
    const list: readonly NodeSpecInput[] = Array.isArray(node) ? node : [node as NodeSpecInput];
    for (const n of list) {
      if (this.byId.has(n.id)) throw new Error(`JobDAG "${this.name}": a node "${n.id}" was already added`);
      const copy: NodeSpecInput = { ...n, dependsOn: [...(n.dependsOn ?? [])] };
      this.nodes.push(copy);
      this.byId.set(n.id, copy);
    }
    return this;
  }

  /** Makes `child` depend on `parent` (each may be a list). Both must have been added. */
  connect(parent: string | readonly string[], child: string | readonly string[]): this {
    const parents = typeof parent === 'string' ? [parent] : parent;
    const children = typeof child === 'string' ? [child] : child;
    for (const c of children) {
      const node = this.byId.get(c);
      if (!node) throw new Error(`JobDAG "${this.name}": no node "${c}" to connect`);
      for (const p of parents) {
        if (!this.byId.has(p)) throw new Error(`JobDAG "${this.name}": no node "${p}" to connect`);
        const deps = node.dependsOn as string[];
        if (!deps.includes(p)) deps.push(p);
      }
    }
    return this;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The spec, ready for submitJob or a job file (a deep-enough copy: later changes to the builder don't leak in). */
  toSpec(): JobSpecInput {
    return {
      ...this.options,
      name: this.name,
      nodes: this.nodes.map((n) => ({ ...n, dependsOn: [...(n.dependsOn ?? [])] })),
    };
  }

  /** Runs the shared validator (same rules as the API; pass the server's allowlist and pools to check those too). */
  validate(ctx: ValidationContext = {}): ValidationResult {
    return validateJob(this.toSpec(), ctx);
  }

  /**
   * Stages in execution order: each inner list holds nodes that can run at once. Throws a clear
   * error on a cycle (naming its path) or on a dependency that names no node.
   */
  getExecutionOrder(): string[][] {
    try {
      return stages(this.nodes);
    } catch (e) {
      if (e instanceof DagCycleError)
        throw new Error(`JobDAG "${this.name}" has a dependency cycle: ${e.cycle.join(' -> ')}`);
      if (e instanceof DagError) throw new Error(`JobDAG "${this.name}": ${e.message}`);
      throw e;
    }
  }
}
