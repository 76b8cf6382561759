// The jobs list: filters (status, type, tag, recoverable; admins: owner), pages, live status.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JobPage, JobSummary, JobView, ServerConfig, SessionView } from '../../../src/http/contracts';
import { ApiFailure, getJson, pageUrl } from '../api';
import { duration, since, time } from '../format';
import { navigate, onLinkClick, useLocation } from '../router';
import { JOB_STATUS_LIST, StatusBadge } from '../status';

const POLL_MS = 3000;
const PAGE_SIZE = 25;

interface Filters {
  status: string;
  type: string;
  tag: string;
  recoverable: boolean;
  owner: string;
}

function filtersOf(search: URLSearchParams): Filters {
  return {
    status: search.get('status') ?? '',
    type: search.get('type') ?? '',
    tag: search.get('tag') ?? '',
    recoverable: search.get('recoverable') === 'true',
    owner: search.get('owner') ?? '',
  };
}

function queryOf(f: Filters, pageToken?: string): string {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.type) q.set('type', f.type);
  if (f.tag) q.set('tag', f.tag);
  if (f.recoverable) q.set('recoverable', 'true');
  if (f.owner) q.set('owner', f.owner);
  if (pageToken) q.set('pageToken', pageToken);
  return q.toString();
}

/** Progress of a job in the list: from its view (active jobs are read again on every poll). */
function useProgress(jobs: JobSummary[]): Map<string, number> {
  const [progress, setProgress] = useState(new Map<string, number>());
  const done = useRef(new Map<string, number>());
  useEffect(() => {
    let live = true;
    const want = jobs.filter((j) => !done.current.has(`${j.id}|${j.closeTime ?? ''}`));
    void (async () => {
      const next = new Map(progress);
      for (let i = 0; i < want.length; i += 4) {
        const batch = want.slice(i, i + 4);
        const views = await Promise.all(
          batch.map((j) => getJson<JobView>(`/v1/jobs/${encodeURIComponent(j.id)}`).catch(() => undefined)),
        );
        views.forEach((v, k) => {
          if (!v) return;
          next.set(v.id, v.progress);
          const j = batch[k]!;
          if (j.closeTime) done.current.set(`${j.id}|${j.closeTime}`, v.progress);
        });
      }
      for (const j of jobs) {
        const d = done.current.get(`${j.id}|${j.closeTime ?? ''}`);
        if (d !== undefined) next.set(j.id, d);
      }
      if (live) setProgress(next);
    })();
    return () => {
      live = false;
    };
    // Re-read whenever the listing was fetched again.
  }, [jobs]);
  return progress;
}

export function JobsPage(props: { session: SessionView }) {
  const { search } = useLocation();
  const filters = filtersOf(search);
  const token = search.get('page') ?? undefined;
  const [page, setPage] = useState<JobPage | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [types, setTypes] = useState<string[]>([]);
  const [history, setHistory] = useState<string[]>([]);
  const key = queryOf(filters, token);
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filtersOf(new URLSearchParams(location.search))), [queryOf(filters)]);

  useEffect(() => {
    getJson<ServerConfig>('/v1/config').then(
      (c) => setTypes([...c.nodeTypes, ...c.stepTemplates.map((t) => t.name)]),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const q = new URLSearchParams(key);
        q.set('pageSize', String(PAGE_SIZE));
        const p = await getJson<JobPage>(`/v1/jobs?${q.toString()}`);
        if (!live) return;
        setPage(p);
        setError(undefined);
      } catch (err) {
        if (live) setError(err instanceof ApiFailure ? err.message : 'the API is not reachable');
      }
      if (live) timer = setTimeout(() => void load(), document.hidden ? POLL_MS * 5 : POLL_MS);
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);

  const progress = useProgress(page?.jobs ?? []);

  const apply = (f: Filters) => {
    setHistory([]);
    const q = queryOf(f);
    navigate(`/ui${q ? `?${q}` : ''}`);
  };
  const onFilter = (e: Event) => {
    e.preventDefault();
    apply({ ...draft, tag: draft.tag.trim(), owner: draft.owner.trim() });
  };
  const set = (k: keyof Filters) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setDraft((d) => ({ ...d, [k]: t.type === 'checkbox' ? t.checked : t.value }));
  };
  const goPage = (t: string | undefined, back: boolean) => {
    setHistory((h) => (back ? h.slice(0, -1) : [...h, token ?? '']));
    const q = new URLSearchParams(queryOf(filters));
    if (t) q.set('page', t);
    navigate(`/ui?${q.toString()}`);
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form class="filters" onSubmit={onFilter} aria-label="Filter jobs">
        <label>
          Status
          <select name="status" value={draft.status} onChange={set('status')}>
            <option value="">any</option>
            {JOB_STATUS_LIST.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={draft.type} onChange={set('type')}>
            <option value="">any</option>
            {types.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input name="tag" value={draft.tag} onInput={set('tag')} maxLength={64} />
        </label>
        <label class="check">
          <input type="checkbox" name="recoverable" checked={draft.recoverable} onChange={set('recoverable')} />
          Recoverable
        </label>
        {props.session.admin && (
          <label>
            Owner
            <input name="owner" value={draft.owner} onInput={set('owner')} placeholder="everyone" maxLength={128} />
          </label>
        )}
        <button type="submit">Apply</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!page && !error && <p>Loading…</p>}
      {page && page.jobs.length === 0 && <p>No jobs match.</p>}
      {page && page.jobs.length > 0 && (
        <div class="table-wrap">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                {props.session.admin && <th scope="col">Owner</th>}
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">GPUs</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {page.jobs.map((j) => {
                const p = j.status === 'completed' ? 100 : progress.get(j.id);
                return (
                  <tr key={j.id}>
                    <td>
                      <a href={pageUrl(j.id)} onClick={onLinkClick}>
                        {j.name ?? j.id}
                      </a>
                      <div class="sub">{j.id}</div>
                    </td>
                    {props.session.admin && <td>{j.owner ?? '—'}</td>}
                    <td>
                      <StatusBadge status={j.status} job />
                      {j.recoverable && <span class="badge">recoverable</span>}
                    </td>
                    <td>
                      {p === undefined ? (
                        '—'
                      ) : (
                        <span class="progress-cell">
                          <progress max={100} value={p} aria-label={`${j.name ?? j.id} progress`} />
                          {Math.round(p)}%
                        </span>
                      )}
                    </td>
                    <td>{time(j.startTime)}</td>
                    <td>{duration(since(j.startTime, j.closeTime))}</td>
                    <td>{j.gpus ?? '—'}</td>
                    <td>
                      {j.tags.map((t) => (
                        <span class="tag">{t}</span>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={!token} onClick={() => goPage(history[history.length - 1] || undefined, true)}>
          Previous page
        </button>
        <button type="button" disabled={!page?.nextPageToken} onClick={() => goPage(page?.nextPageToken, false)}>
          Next page
        </button>
      </nav>
    </section>
  );
}
