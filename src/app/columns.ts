/**
 * The widths of the workbench's three columns (prompt and predictions | graph and card | edits, continuation and
 * side panels), resizable by dragging the splitters between them and kept in localStorage. Widths are grid `fr`
 * shares over minimum widths; the defaults are the layout the 1280×800 check is made for.
 */
export type ColumnSizes = [number, number, number];

export const DEFAULT_COLUMNS: ColumnSizes = [1, 2, 0.9];
/** Each column's minimum width in px (the grid's minmax lower bounds). */
export const MIN_COLUMN_PX: ColumnSizes = [330, 420, 260];
export const SPLITTER_PX = 10;
const KEY = 'pathlight.columns.v1';

/** The grid template for the sizes: column, splitter, column, splitter, column. */
export function gridTemplate(c: ColumnSizes): string {
  const col = (i: number) => `minmax(${MIN_COLUMN_PX[i]}px, ${+c[i].toFixed(4)}fr)`;
  return `${col(0)} ${SPLITTER_PX}px ${col(1)} ${SPLITTER_PX}px ${col(2)}`;
}

function valid(x: unknown): x is ColumnSizes {
  return Array.isArray(x) && x.length === 3 && x.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e4);
}

export function loadColumns(storage: Pick<Storage, 'getItem'> | null = globalThis.localStorage ?? null): ColumnSizes {
  try {
    const raw = storage?.getItem(KEY);
    const v: unknown = raw ? JSON.parse(raw) : null;
    return valid(v) ? v : [...DEFAULT_COLUMNS];
  } catch {
    return [...DEFAULT_COLUMNS];
  }
}

export function saveColumns(c: ColumnSizes | null, storage: Pick<Storage, 'setItem' | 'removeItem'> | null = globalThis.localStorage ?? null): void {
  try {
    if (c === null) storage?.removeItem(KEY);
    else storage?.setItem(KEY, JSON.stringify(c));
  } catch {
    // storage full or unavailable: the sizes last for this page only
  }
}

/**
 * The sizes after dragging splitter `s` (0: between columns 0 and 1; 1: between 1 and 2) by `dx` px, from the
 * columns' widths in px when the drag started: the two neighbours trade width, neither below its minimum, and the
 * shares become proportional to the widths (so every column keeps the width it was given).
 */
export function dragColumns(widths: ColumnSizes, s: 0 | 1, dx: number): ColumnSizes {
  const w: ColumnSizes = [...widths];
  const a = s;
  const b = s + 1;
  const total = w[a] + w[b];
  const left = Math.min(Math.max(w[a] + dx, MIN_COLUMN_PX[a]), total - MIN_COLUMN_PX[b]);
  w[a] = left;
  w[b] = total - left;
  return w.map((x) => x / 100) as ColumnSizes;
}
