import { useEffect, useRef } from 'react';
import type { GraphData, GraphNode } from './graph-data';
import { drawPathGraph, resetZoom, type Zoom } from './path-graph';
import { useWidth } from './use-width';

interface Props {
  data: GraphData;
  /** The selected node, or every selected node. */
  selected: string | readonly string[] | null;
  onSelect: (n: GraphNode, additive: boolean) => void;
  /** The zoom to show (a restored session's), and where a changed one is reported. */
  zoom?: Zoom | null;
  onZoom?: (z: Zoom | null) => void;
}

/** React owns this div; drawPathGraph owns the SVG inside it. */
export function PathGraphView({ data, selected, onSelect, zoom, onZoom }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const handler = useRef(onSelect);
  handler.current = onSelect;
  const zoomHandler = useRef(onZoom);
  zoomHandler.current = onZoom;
  const width = useWidth(ref);
  useEffect(() => {
    if (ref.current && width !== null) drawPathGraph(ref.current, data, selected, { onSelect: (n, additive) => handler.current(n, additive), onZoom: (z) => zoomHandler.current?.(z) }, zoom ?? null, width);
  }, [data, selected, zoom, width]);
  return (
    <div className="graph-wrap">
      <button className="zoom-reset" data-testid="zoom-reset" onClick={() => ref.current && resetZoom(ref.current)} title="back to the whole graph">
        reset zoom
      </button>
      <div ref={ref} className="graph-container sized" data-testid="path-graph" />
    </div>
  );
}
