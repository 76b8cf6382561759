// Submit a job: paste or upload YAML/JSON; Validate shows every problem at its path (and the line
// it is on) or the plan; Submit starts the job and opens its page. An invalid spec starts nothing.
import { useState } from 'preact/hooks';
import type * as Yaml from 'yaml';
import type { ErrorDetail, JobCreated, JobPlan, ValidateResult } from '../../../src/http/contracts';
import { ApiFailure, pageUrl, postJson } from '../api';
import { duration } from '../format';
import { navigate } from '../router';

interface Problem extends ErrorDetail {
  line?: number | undefined;
}

type Outcome =
  | { kind: 'problems'; title: string; problems: Problem[] }
  | { kind: 'plan'; plan: JobPlan }
  | { kind: 'busy'; what: string }
  | undefined;

/** "nodes[3].config.epochs" (or "body.nodes…") → ['nodes', 3, 'config', 'epochs']. */
function segments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  if (out[0] === 'body') out.shift();
  return out;
}

type YamlModule = typeof Yaml;

/** Parses the text (JSON or YAML); returns the value and a way to find the line of a path. */
async function parseSpec(
  text: string,
): Promise<{ value: unknown; lineOf: (path: string) => number | undefined } | { problems: Problem[] }> {
  const yaml: YamlModule = await import('yaml');
  const lc = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length)
    return {
      problems: doc.errors.map((e) => ({
        path: '(file)',
        message: e.message.split('\n')[0] ?? e.message,
        line: e.linePos?.[0]?.line,
      })),
    };
  const lineOf = (path: string): number | undefined => {
    const segs = segments(path);
    for (let n = segs.length; n >= 0; n--) {
      const node = doc.getIn(segs.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { value: doc.toJS(), lineOf };
}

function PlanView(props: { plan: JobPlan }) {
  const p = props.plan;
  return (
    <section aria-labelledby="plan-title" class="plan">
      <h2 id="plan-title">Plan: valid</h2>
      <p>
        {p.nodeCount} nodes, {p.edgeCount} edges, {p.stages.length} stages; parallelism {p.parallelism}
        {p.maxStageWidth > p.parallelism ? ` (the widest stage has ${p.maxStageWidth}: some nodes wait)` : ''}.
        {p.estimatedGpuMs !== undefined && ` Estimated GPU time: ${duration(p.estimatedGpuMs)}.`}
      </p>
      <p>
        Critical path{p.criticalPath.estimatedMs !== undefined ? ` (${duration(p.criticalPath.estimatedMs)})` : ''}:{' '}
        <strong>{p.criticalPath.nodes.join(' → ')}</strong>
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Type</th>
              <th scope="col">Stage</th>
              <th scope="col">Queue</th>
              <th scope="col">Pool</th>
              <th scope="col">GPUs</th>
              <th scope="col">Depends on</th>
              <th scope="col">Estimate</th>
            </tr>
          </thead>
          <tbody>
            {p.nodes.slice(0, 500).map((n) => (
              <tr>
                <td>{n.id}</td>
                <td>{n.template ? `${n.type} (${n.template})` : n.type}</td>
                <td>{n.stage}</td>
                <td>{n.taskQueue}</td>
                <td>{n.pool ?? '—'}</td>
                <td>{n.gpus}</td>
                <td>{n.dependsOn.join(', ') || '—'}</td>
                <td>{n.estimatedMs !== undefined ? duration(n.estimatedMs) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {p.nodes.length > 500 && <p class="muted">{p.nodes.length - 500} more nodes not listed.</p>}
    </section>
  );
}

export function SubmitPage() {
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<Outcome>();

  const send = async (what: 'validate' | 'submit') => {
    setOutcome({ kind: 'busy', what: what === 'validate' ? 'Validating' : 'Submitting' });
    const parsed = await parseSpec(text);
    if ('problems' in parsed) {
      setOutcome({ kind: 'problems', title: 'The file does not parse', problems: parsed.problems });
      return;
    }
    try {
      if (what === 'validate') {
        const r = await postJson<ValidateResult>('/v1/jobs/validate', parsed.value);
        setOutcome({ kind: 'plan', plan: r.plan });
      } else {
        const r = await postJson<JobCreated>('/v1/jobs', parsed.value);
        navigate(pageUrl(r.id));
      }
    } catch (err) {
      if (!(err instanceof ApiFailure)) {
        setOutcome({ kind: 'problems', title: 'The API is not reachable', problems: [] });
        return;
      }
      const problems = err.details.length
        ? err.details.map((d) => ({ ...d, line: parsed.lineOf(d.path) }))
        : [{ path: '(spec)', message: err.message }];
      setOutcome({
        kind: 'problems',
        title: what === 'validate' ? 'The spec is not valid' : 'Not submitted: the spec is not valid',
        problems,
      });
    }
  };

  const onFile = async (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) setText(await f.text());
  };

  return (
    <section class="submit" aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a job</h1>
      <label for="spec">Job spec (YAML or JSON)</label>
      <textarea
        id="spec"
        spellcheck={false}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        placeholder={'name: my-job\nnodes:\n  - id: data\n    type: dataset\n    config: { name: iris }'}
      />
      <div class="actions">
        <label>
          Or upload a file{' '}
          <input type="file" accept=".yaml,.yml,.json,application/json" onChange={(e) => void onFile(e)} />
        </label>
        <button type="button" disabled={!text.trim() || outcome?.kind === 'busy'} onClick={() => void send('validate')}>
          Validate
        </button>
        <button type="button" disabled={!text.trim() || outcome?.kind === 'busy'} onClick={() => void send('submit')}>
          Submit
        </button>
        {outcome?.kind === 'busy' && <span role="status">{outcome.what}…</span>}
      </div>
      {outcome?.kind === 'problems' && (
        <section role="alert" aria-labelledby="problems-title">
          <h2 id="problems-title">{outcome.title}</h2>
          <ul class="issues">
            {outcome.problems.map((p) => (
              <li>
                <code>{p.path}</code>
                {p.line !== undefined ? ` (line ${p.line})` : ''}: {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {outcome?.kind === 'plan' && <PlanView plan={outcome.plan} />}
    </section>
  );
}
