import { useEffect, useRef } from 'react';
import type { AttributionGraph, AttributionGraphNode } from '../analysis/attribution-graph-types';
import type { GraphOverlays } from '../analysis/graph-overlays';
import { drawPositionGraph, resetPositionGraphZoom } from './position-graph';
import { useWidth } from './use-width';

/**
 * The position-resolved attribution graph (rows: positions, columns: layers). React owns this div; drawPositionGraph
 * owns the SVG inside it. `onSelect` receives a neuron's or head's NodeId (L2.N417@11, L0.H3@5).
 */
export function PositionGraphView({
  graph,
  overlays,
  selected = null,
  edited,
  onSelect,
  onSelectOther,
}: {
  graph: AttributionGraph;
  overlays?: GraphOverlays;
  selected?: string | null;
  edited?: ReadonlyArray<string>;
  onSelect: (nodeId: string) => void;
  onSelectOther?: (node: AttributionGraphNode) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  const other = useRef(onSelectOther);
  select.current = onSelect;
  other.current = onSelectOther;
  const width = useWidth(ref);
  useEffect(() => {
    if (ref.current && width !== null) drawPositionGraph(ref.current, { graph, overlays, selected, edited }, { onSelect: (id) => select.current(id), onSelectOther: (n) => other.current?.(n) }, width);
  }, [graph, overlays, selected, edited, width]);
  return (
    <div className="graph-wrap">
      <button className="zoom-reset" data-testid="position-graph-zoom-reset" onClick={() => ref.current && resetPositionGraphZoom(ref.current)} title="back to the whole graph">
        reset zoom
      </button>
      <div ref={ref} className="graph-container sized" data-testid="position-graph" />
    </div>
  );
}
