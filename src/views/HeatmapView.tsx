import { useEffect, useRef } from 'react';
import { drawHeatmap, type HeatmapData } from './heatmap';

export function HeatmapView({ data, testId }: { data: HeatmapData; testId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) drawHeatmap(ref.current, data);
  }, [data]);
  return <div ref={ref} className="heatmap-container" data-testid={testId} />;
}
