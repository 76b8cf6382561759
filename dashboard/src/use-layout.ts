// Lays the visible graph out: at once with the linear layered layout (so the page is usable right
// away), then in the Web Worker (dagre, or the refined layered layout for very large graphs).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { VisibleGraph } from './graph';
import { fromMessage, layeredLayout, type Layout } from './layout';
import type { LayoutReply, LayoutRequest } from './layout-worker';

export function useLayout(graph: VisibleGraph): Layout {
  const input = useMemo(
    () => ({ vertices: graph.vertices.map((v) => ({ id: v.id, level: v.level })), edges: graph.edges }),
    [graph],
  );
  const quick = useMemo(() => layeredLayout(input, 0), [input]);
  const [refined, setRefined] = useState<{ for: object; layout: Layout } | undefined>();
  const worker = useRef<Worker | undefined>(undefined);
  const seq = useRef(0);

  useEffect(() => {
    const w = new Worker('/ui/assets/layout-worker.js');
    worker.current = w;
    return () => w.terminate();
  }, []);

  useEffect(() => {
    const w = worker.current;
    // Nothing drawn yet (the page draws the DAG a task after the job arrives): nothing to lay out.
    if (!w || input.vertices.length === 0) return;
    const mySeq = ++seq.current;
    const onMessage = (e: MessageEvent<LayoutReply>) => {
      if (e.data.seq !== mySeq) return;
      setRefined({ for: input, layout: fromMessage(e.data) });
      performance.mark('trainyard:layout-done');
      document.documentElement.dataset.layout = e.data.engine;
    };
    w.addEventListener('message', onMessage);
    const req: LayoutRequest = { seq: mySeq, ...input };
    w.postMessage(req);
    return () => w.removeEventListener('message', onMessage);
  }, [input]);

  return refined && refined.for === input ? refined.layout : quick;
}
