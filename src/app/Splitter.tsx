import { useRef } from 'react';
import { dragColumns, type ColumnSizes } from './columns';

/**
 * The handle between two columns: drag it (or focus it and press ←/→) to trade width between them; double-click
 * for the default widths. `widths` reads the three columns' widths in px when a drag starts.
 */
export function Splitter({ index, widths, onChange, onReset }: { index: 0 | 1; widths: () => ColumnSizes; onChange: (c: ColumnSizes, done: boolean) => void; onReset: () => void }) {
  const start = useRef<{ x: number; w: ColumnSizes } | null>(null);
  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label={index === 0 ? 'resize the prompt and graph columns' : 'resize the graph and side columns'}
      tabIndex={0}
      data-testid={`splitter-${index}`}
      title="drag to resize; double-click for the default widths"
      onPointerDown={(e) => {
        e.preventDefault();
        (e.target as HTMLElement).setPointerCapture(e.pointerId);
        start.current = { x: e.clientX, w: widths() };
      }}
      onPointerMove={(e) => {
        if (start.current) onChange(dragColumns(start.current.w, index, e.clientX - start.current.x), false);
      }}
      onPointerUp={(e) => {
        if (!start.current) return;
        onChange(dragColumns(start.current.w, index, e.clientX - start.current.x), true);
        start.current = null;
      }}
      onPointerCancel={() => (start.current = null)}
      onDoubleClick={onReset}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        onChange(dragColumns(widths(), index, e.key === 'ArrowLeft' ? -20 : 20), true);
      }}
    />
  );
}
