import { useEffect, useRef } from 'react';
import type { GraphData, GraphNode } from './graph-data';
import { drawPathGraph, resetZoom } from './path-graph';

/** React owns this div; drawPathGraph owns the SVG inside it. */
export function PathGraphView({ data, selected, onSelect }: { data: GraphData; selected: string | null; onSelect: (n: GraphNode) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const handler = useRef(onSelect);
  handler.current = onSelect;
  useEffect(() => {
    if (ref.current) drawPathGraph(ref.current, data, selected, { onSelect: (n) => handler.current(n) });
  }, [data, selected]);
  return (
    <div className="graph-wrap">
      <button className="zoom-reset" data-testid="zoom-reset" onClick={() => ref.current && resetZoom(ref.current)} title="back to the whole graph">
        reset zoom
      </button>
      <div ref={ref} className="graph-container" data-testid="path-graph" />
    </div>
  );
}
