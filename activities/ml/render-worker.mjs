// Worker thread that renders Vega-Lite specs to SVG. vega/vega-lite are ESM-only with top-level
// await, so they are imported here natively (this works the same under tsx, node and Jest).
import { parentPort, workerData } from 'node:worker_threads';

const vl = await import('vega-lite');
const vega = await import('vega');
const svgs = [];
for (const spec of workerData.specs) {
  const compiled = vl.compile(spec).spec;
  // renderer 'none' + toSVG needs no canvas; data is inline, so no loader/network is involved.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  svgs.push(await view.toSVG());
  view.finalize();
}
parentPort.postMessage(svgs);
