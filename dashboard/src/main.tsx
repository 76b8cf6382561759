// The dashboard's entry: the session (signed in or not), the shell and the pages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SessionView } from '../../src/http/contracts';
import { ApiFailure, getJson, postJson, setSession, whenSignedOut } from './api';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { SignIn } from './pages/sign-in';
import { SubmitPage } from './pages/submit';
import { navigate, onLinkClick, useLocation } from './router';
import './app.css';

type SessionState = { kind: 'loading' } | { kind: 'out'; reason?: string } | { kind: 'in'; session: SessionView };

function App() {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const { path } = useLocation();

  const signedIn = (session: SessionView) => {
    setSession(session);
    setState({ kind: 'in', session });
  };
  const signedOut = (reason?: string) => {
    setSession(undefined);
    setState(reason ? { kind: 'out', reason } : { kind: 'out' });
  };

  useEffect(() => {
    whenSignedOut(() => signedOut('Your session has ended. Sign in again.'));
    getJson<SessionView>('/v1/session').then(signedIn, () => signedOut());
  }, []);

  useEffect(() => {
    const title =
      path.startsWith('/ui/jobs/') && path.length > 9
        ? `Job ${decodeURIComponent(path.slice(9))}`
        : path.startsWith('/ui/submit')
          ? 'Submit a job'
          : 'Jobs';
    document.title = `${title} · Trainyard`;
  }, [path]);

  if (state.kind === 'loading') return <p class="loading">Loading…</p>;
  if (state.kind === 'out') return <SignIn reason={state.reason} onSignedIn={signedIn} />;

  const signOut = async () => {
    try {
      await postJson('/v1/session', {}, 'DELETE');
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.status !== 401) throw err;
    }
    signedOut();
    navigate('/ui', { replace: true });
  };

  let page;
  const m = /^\/ui\/jobs\/([^/]+)\/?$/.exec(path);
  if (m) page = <JobPage key={m[1]} id={decodeURIComponent(m[1]!)} session={state.session} />;
  else if (/^\/ui\/submit\/?$/.test(path)) page = <SubmitPage />;
  else page = <JobsPage session={state.session} />;

  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="/ui" onClick={onLinkClick}>
          Trainyard
        </a>
        <nav aria-label="Main">
          <a href="/ui" onClick={onLinkClick} aria-current={!m && !path.startsWith('/ui/submit') ? 'page' : undefined}>
            Jobs
          </a>
          <a href="/ui/submit" onClick={onLinkClick} aria-current={path.startsWith('/ui/submit') ? 'page' : undefined}>
            Submit
          </a>
        </nav>
        <span class="who">
          {state.session.owner}
          {state.session.admin && <span class="badge">admin</span>}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">{page}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
