// How a status looks: a colour from the Okabe–Ito palette (distinguishable with the common kinds of
// colour blindness) AND an icon shape AND its name in text — never colour alone.
import type { JobStatus, NodeStatus } from '../../src/domain/statuses';

export interface StatusStyle {
  label: string;
  /** Stroke / icon colour. */
  color: string;
  /** Background tint. */
  fill: string;
  /** An SVG path in a 12×12 box. */
  icon: string;
  /** The icon's path is filled (else stroked). */
  solid?: boolean;
  dashed?: boolean;
}

const ICONS = {
  check: 'M2 6.5 L5 9.5 L10.5 3',
  cross: 'M3 3 L9 9 M9 3 L3 9',
  play: 'M3 1.5 L10.5 6 L3 10.5 Z',
  clock: 'M6 1 A5 5 0 1 1 5.99 1 M6 3 L6 6 L8.5 7.5',
  ring: 'M6 1.5 A4.5 4.5 0 1 1 5.99 1.5',
  retry: 'M10 6 A4 4 0 1 1 8.8 3.2 M8.8 0.8 L8.8 3.4 L6.2 3.4',
  pause: 'M3 2 L3 10 M9 2 L9 10',
  skip: 'M1.5 9 Q6 1 10.5 9 M8 9 L10.5 9 L10.5 6.5',
  ban: 'M6 1 A5 5 0 1 1 5.99 1 M2.5 2.5 L9.5 9.5',
  hourglass: 'M2.5 1.5 L9.5 1.5 L2.5 10.5 L9.5 10.5 Z',
  question: 'M3.5 4 A2.5 2.5 0 1 1 6 6.5 L6 8 M6 10 L6 10.5',
};

const NODE: Record<NodeStatus, StatusStyle> = {
  pending: { label: 'pending', color: '#6b6b6b', fill: '#f2f2f2', icon: ICONS.ring, dashed: true },
  queued: { label: 'queued', color: '#2a7fb8', fill: '#e3f2fb', icon: ICONS.clock },
  running: { label: 'running', color: '#0072B2', fill: '#d9ebf7', icon: ICONS.play, solid: true },
  retrying: { label: 'retrying', color: '#b77d00', fill: '#fdf0d5', icon: ICONS.retry },
  paused: { label: 'paused', color: '#a34d88', fill: '#f7e6f1', icon: ICONS.pause },
  completed: { label: 'completed', color: '#007a5a', fill: '#dcf2ea', icon: ICONS.check },
  failed: { label: 'failed', color: '#c24f00', fill: '#fbe3d6', icon: ICONS.cross },
  skipped: { label: 'skipped', color: '#777777', fill: '#fafafa', icon: ICONS.skip, dashed: true },
  cancelled: { label: 'cancelled', color: '#333333', fill: '#e6e6e6', icon: ICONS.ban },
  waiting_for_gpu: { label: 'waiting for GPU', color: '#8a7a00', fill: '#fbf6c9', icon: ICONS.hourglass },
  stopped: { label: 'stopped early', color: '#555555', fill: '#eeeeee', icon: ICONS.pause },
  cached: { label: 'cached', color: '#007a5a', fill: '#eef8f4', icon: ICONS.check, dashed: true },
};

/** Statuses other helpers add (the style is ready before the status lands). */
const EXTRA: Record<string, StatusStyle> = {
  terminated: { label: 'terminated', color: '#333333', fill: '#e6e6e6', icon: ICONS.ban },
  timed_out: { label: 'timed out', color: '#c24f00', fill: '#fbe3d6', icon: ICONS.clock },
};

const UNKNOWN: StatusStyle = { label: 'unknown', color: '#555', fill: '#eee', icon: ICONS.question };

export function nodeStyle(status: string): StatusStyle {
  return NODE[status as NodeStatus] ?? EXTRA[status] ?? { ...UNKNOWN, label: status };
}

/** The style of each job status: a node status's, or one of EXTRA (Temporal's own ends). */
const JOB: Record<JobStatus, NodeStatus | 'terminated' | 'timed_out'> = {
  queued: 'queued',
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  terminated: 'terminated',
  timed_out: 'timed_out',
};

export function jobStyle(status: string): StatusStyle {
  const n = JOB[status as JobStatus];
  return n ? nodeStyle(n) : nodeStyle(status);
}

/** Which status a group of nodes shows: the one that most needs attention. */
export const ATTENTION: readonly string[] = [
  'failed',
  'retrying',
  'running',
  'waiting_for_gpu',
  'queued',
  'paused',
  'pending',
  'cancelled',
  'skipped',
  'stopped',
  'completed',
  'cached',
];

/** Statuses in the order a group's summary lists them, with the word it uses. */
export const SUMMARY_WORDS: readonly [string, string][] = [
  ['completed', 'done'],
  ['cached', 'cached'],
  ['running', 'running'],
  ['retrying', 'retrying'],
  ['waiting_for_gpu', 'waiting for GPU'],
  ['queued', 'queued'],
  ['paused', 'paused'],
  ['pending', 'pending'],
  ['failed', 'failed'],
  ['skipped', 'skipped'],
  ['cancelled', 'cancelled'],
  ['stopped', 'stopped early'],
];

/** Every job status (the keys of a table the compiler checks against JobStatus). */
export const JOB_STATUS_LIST = Object.keys(JOB) as JobStatus[];

/** The status icon, as an inline SVG. */
export function StatusIcon(props: { status: string; job?: boolean; size?: number }) {
  const st = props.job ? jobStyle(props.status) : nodeStyle(props.status);
  const size = props.size ?? 14;
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 12 12" aria-hidden="true" focusable="false">
      <path
        d={st.icon}
        fill={st.solid ? st.color : 'none'}
        stroke={st.color}
        stroke-width={1.6}
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

/** Icon + the status's name. */
export function StatusBadge(props: { status: string; job?: boolean }) {
  const st = props.job ? jobStyle(props.status) : nodeStyle(props.status);
  return (
    <span class="status" style={{ color: st.color, background: st.fill, borderColor: st.color }}>
      <StatusIcon status={props.status} {...(props.job && { job: true })} />
      {st.label}
    </span>
  );
}
