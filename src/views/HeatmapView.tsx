import { useEffect, useRef } from 'react';
import { drawHeatmap, type HeatmapData } from './heatmap';

export function HeatmapView({ data, testId, onCell }: { data: HeatmapData; testId: string; onCell?: (row: number, col: number) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const handler = useRef(onCell);
  handler.current = onCell;
  useEffect(() => {
    if (ref.current) drawHeatmap(ref.current, data, { onCell: handler.current && ((r, c) => handler.current?.(r, c)) });
  }, [data]);
  return <div ref={ref} className="heatmap-container" data-testid={testId} />;
}
