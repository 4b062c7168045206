import { useEffect, useRef } from 'react';
import { drawSteeringChart, type SteeringChartData } from './steering-chart';

/** React owns this div; drawSteeringChart owns the SVG inside it. */
export function SteeringChartView({ data, onPick }: { data: SteeringChartData; onPick?: (alpha: number) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    if (ref.current) drawSteeringChart(ref.current, data, (a) => pick.current?.(a));
  }, [data]);
  return <div ref={ref} data-testid="steering-chart" />;
}
