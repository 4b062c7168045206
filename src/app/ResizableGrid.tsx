import { Children, useRef, useState, type ReactNode } from 'react';
import { DEFAULT_COLUMNS, gridTemplate, loadColumns, saveColumns, type ColumnSizes } from './columns';
import { Splitter } from './Splitter';

/**
 * The workbench's three columns with a splitter between each two (wide screens; narrower ones stack the columns
 * and hide the splitters). The widths persist in localStorage.
 */
export function ResizableGrid({ children }: { children: ReactNode }) {
  const [cols, setCols] = useState<ColumnSizes>(() => loadColumns());
  const ref = useRef<HTMLElement>(null);
  const sections = Children.toArray(children);
  const widths = (): ColumnSizes => {
    const els = ref.current ? [...ref.current.children].filter((c) => c.tagName === 'SECTION') : [];
    return els.length === 3 ? (els.map((e) => e.getBoundingClientRect().width) as ColumnSizes) : [...cols];
  };
  const change = (c: ColumnSizes, done: boolean) => {
    setCols(c);
    if (done) saveColumns(c);
  };
  const reset = () => {
    setCols([...DEFAULT_COLUMNS]);
    saveColumns(null);
  };
  return (
    <main className="grid" ref={ref} style={{ ['--grid-columns' as string]: gridTemplate(cols) }} data-columns={cols.map((c) => c.toFixed(3)).join(',')}>
      {sections.map((s, i) => [
        i > 0 && <Splitter key={`split${i}`} index={(i - 1) as 0 | 1} widths={widths} onChange={change} onReset={reset} />,
        s,
      ])}
    </main>
  );
}
