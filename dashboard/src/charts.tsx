// A line chart as inline SVG (the live loss curve), with its numbers in the accessible name.
import { num } from './format';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

export function LineChart(props: { title: string; series: Series[]; xLabel: string; width?: number; height?: number }) {
  const w = props.width ?? 360;
  const h = props.height ?? 160;
  const pad = { l: 44, r: 10, t: 10, b: 26 };
  const all = props.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (all.length === 0) return <p class="muted">No {props.title.toLowerCase()} yet.</p>;
  let [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let [y0, y1] = [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const sy = (y: number) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  const last = props.series.map((s) => `${s.name} ${num(s.points[s.points.length - 1]?.y)}`).join(', ');
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${w} ${h}`}
      width="100%"
      role="img"
      aria-label={`${props.title}: ${all.length} points; last ${last}`}
    >
      <line x1={pad.l} y1={h - pad.b} x2={w - pad.r} y2={h - pad.b} stroke="#888" />
      <line x1={pad.l} y1={pad.t} x2={pad.l} y2={h - pad.b} stroke="#888" />
      <text x={pad.l - 4} y={pad.t + 8} text-anchor="end" class="axis">
        {num(y1)}
      </text>
      <text x={pad.l - 4} y={h - pad.b} text-anchor="end" class="axis">
        {num(y0)}
      </text>
      <text x={pad.l} y={h - 8} class="axis">
        {num(x0)}
      </text>
      <text x={w - pad.r} y={h - 8} text-anchor="end" class="axis">
        {num(x1)} {props.xLabel}
      </text>
      {props.series.map((s) => (
        <polyline
          class="series"
          data-series={s.name}
          fill="none"
          stroke={s.color}
          stroke-width={2}
          points={s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}
        />
      ))}
      {props.series.map((s, i) => (
        <text x={w - pad.r - 4} y={pad.t + 10 + i * 13} text-anchor="end" fill={s.color} class="axis">
          {s.name}
        </text>
      ))}
    </svg>
  );
}
