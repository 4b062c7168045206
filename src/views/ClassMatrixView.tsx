import { useEffect, useRef } from 'react';
import type { ClassMatrixData } from './class-matrix-data';
import { drawClassMatrix, type ClassMatrixHandlers } from './class-matrix';

/** React owns this div; drawClassMatrix owns the SVG inside it. */
export function ClassMatrixView({ data, onCell }: { data: ClassMatrixData; onCell?: ClassMatrixHandlers['onCell'] }) {
  const ref = useRef<HTMLDivElement>(null);
  const handler = useRef(onCell);
  handler.current = onCell;
  useEffect(() => {
    if (ref.current) drawClassMatrix(ref.current, data, { onCell: (c, r, additive) => handler.current?.(c, r, additive) });
  }, [data]);
  return <div ref={ref} className="class-matrix-container" data-testid="class-matrix" />;
}
