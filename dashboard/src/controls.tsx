// Pause (drain / now), resume, cancel (confirmed), recover (all failed, or from the selected node).
// Nothing is shown as done before the server says so: the outcome is the API's answer, a refusal
// (409) shows its reason, and the page then reads the job again.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ControlOutcome } from '../../src/http/contracts';
import { ApiFailure, jobUrl, postJson } from './api';
import type { LiveJob } from './live';

type Action = 'pause' | 'resume' | 'cancel' | 'recover';

export function Controls(props: { live: LiveJob; selected: string | undefined }) {
  const { live } = props;
  const [busy, setBusy] = useState<string | undefined>();
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const act = async (label: string, action: Action, body: object = {}) => {
    setBusy(label);
    setMsg(undefined);
    try {
      const out = await postJson<ControlOutcome>(`${jobUrl(live.id)}/${action}`, body);
      setMsg({ kind: 'ok', text: `${label}: ${out.message} (job ${out.status})` });
      await live.refresh().catch(() => undefined);
    } catch (err) {
      const reason = err instanceof ApiFailure ? err.message : 'the API is not reachable';
      setMsg({ kind: 'error', text: `${label} refused: ${reason}` });
    } finally {
      setBusy(undefined);
    }
  };

  const disabled = busy !== undefined;
  return (
    <div class="controls" role="toolbar" aria-label="Job controls">
      <button type="button" disabled={disabled} onClick={() => void act('Pause', 'pause', { mode: 'drain' })}>
        Pause (drain)
      </button>
      <button type="button" disabled={disabled} onClick={() => void act('Pause now', 'pause', { mode: 'now' })}>
        Pause now
      </button>
      <button type="button" disabled={disabled} onClick={() => void act('Resume', 'resume')}>
        Resume
      </button>
      <button type="button" disabled={disabled} onClick={() => void act('Recover', 'recover')}>
        Recover failed
      </button>
      {props.selected && (
        <button
          type="button"
          disabled={disabled}
          onClick={() => void act(`Recover from ${props.selected}`, 'recover', { fromNode: props.selected })}
        >
          Recover from {props.selected}
        </button>
      )}
      {!confirming ? (
        <button type="button" class="danger" disabled={disabled} onClick={() => setConfirming(true)}>
          Cancel job…
        </button>
      ) : (
        <span class="confirm" role="group" aria-label="Confirm cancel">
          <span>Cancel this job? Running steps stop.</span>
          <button
            type="button"
            class="danger"
            ref={confirmRef}
            onClick={() => {
              setConfirming(false);
              void act('Cancel', 'cancel');
            }}
          >
            Yes, cancel the job
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </span>
      )}
      {busy && <span role="status">{busy}…</span>}
      {msg && (
        <p role={msg.kind === 'error' ? 'alert' : 'status'} class={msg.kind === 'error' ? 'error' : 'ok'}>
          {msg.text}
        </p>
      )}
    </div>
  );
}
