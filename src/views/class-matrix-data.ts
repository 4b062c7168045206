/**
 * The class × neuron matrix of class-level paths, shaped for drawing: rows are the classes analysed (named by
 * id2label), columns the (layer, neuron) units on some path of the chosen method, grouped by layer, and each cell
 * the share of the class's images whose path holds the unit. Also the overlap figures of every method, as rows.
 */
import type { ClassNeuronMatrix, ClassPathMethod, Overlap } from '../analysis/class-path-stats';
import { formatNodeId, parseNodeId, type NodeId } from '../engine/nodeid';

/** What a class-level result gives this (a ClassPathsUi from the worker). */
export interface ClassPathsShape {
  positions: number[];
  labels: string[];
  matrices: Record<ClassPathMethod, ClassNeuronMatrix>;
  overlap: Record<ClassPathMethod, Overlap>;
  resamples: number;
}

export const CLASS_METHOD_LABELS: Record<ClassPathMethod, string> = {
  neuronpath: 'NeuronPath',
  activation: 'activation path',
  layer_ig: 'per-layer IG path',
  gxa: 'per-layer grad × act path',
};

export interface ClassMatrixRow {
  /** The class index and its name. */
  class: number;
  label: string;
  /** Images of the class analysed. */
  images: number;
}

export interface ClassMatrixColumn {
  layer: number;
  index: number;
  /** `L{layer}.N{index}`. */
  label: string;
  /** The node the workbench selects for it: at every token (no `@pos`) or at the paths' one token. */
  node: NodeId;
}

export interface ClassMatrixGroup {
  layer: number;
  /** The group's first column and how many columns it holds. */
  start: number;
  count: number;
}

export interface ClassMatrixData {
  method: ClassPathMethod;
  rows: ClassMatrixRow[];
  columns: ClassMatrixColumn[];
  /** Columns by layer, in layer order; together they cover every column once. */
  groups: ClassMatrixGroup[];
  /** counts[r][c]: images of rows[r] whose path holds columns[c]; share[r][c] = counts / images. */
  counts: number[][];
  share: number[][];
  /** The column of the selected node (any position of the same neuron), or null. */
  selectedColumn: number | null;
}

/** The matrix of `method` from a class-level result; `selected`: the workbench's selected node id. */
export function classMatrixData(r: Pick<ClassPathsShape, 'positions' | 'labels' | 'matrices'>, method: ClassPathMethod, selected: string | null = null): ClassMatrixData {
  const m = r.matrices[method];
  const at = r.positions.length === 1 ? r.positions[0] : null;
  const cols = m.neurons.map((id, j) => {
    const n = parseNodeId(id);
    return { j, layer: n.layer, index: n.index };
  });
  cols.sort((a, b) => a.layer - b.layer || a.index - b.index);
  // Only units on some path: a column of zeros says nothing.
  const kept = cols.filter((c) => m.counts.some((row) => row[c.j] > 0));
  const columns: ClassMatrixColumn[] = kept.map((c) => ({
    layer: c.layer,
    index: c.index,
    label: `L${c.layer}.N${c.index}`,
    node: formatNodeId({ kind: 'neuron', layer: c.layer, index: c.index, position: at }),
  }));
  const groups: ClassMatrixGroup[] = [];
  columns.forEach((c, i) => {
    const g = groups[groups.length - 1];
    if (g && g.layer === c.layer) g.count++;
    else groups.push({ layer: c.layer, start: i, count: 1 });
  });
  const rows = m.classes.map((c, i) => ({ class: c, label: r.labels[c] ?? `#${c}`, images: m.images[i] }));
  const counts = m.counts.map((row) => kept.map((c) => row[c.j]));
  const share = counts.map((row, i) => row.map((n) => (m.images[i] > 0 ? n / m.images[i] : 0)));
  const key = selected ? selected.split('@')[0] : null;
  const sel = key === null ? -1 : columns.findIndex((c) => c.label === key);
  return { method, rows, columns, groups, counts, share, selectedColumn: sel < 0 ? null : sel };
}

export interface OverlapRow {
  method: ClassPathMethod;
  label: string;
  within: number;
  between: number;
  diff: number;
  ci95: [number, number];
  p: number;
  /** The p-value in words: at its floor 1/(R + 1) (no permutation reached the observed difference) `< 1/R (0 of R)`. */
  pText: string;
}

/** The within- vs between-class overlap of every method, NeuronPath first. */
export function overlapRows(r: Pick<ClassPathsShape, 'overlap' | 'resamples'>): OverlapRow[] {
  return (Object.keys(CLASS_METHOD_LABELS) as ClassPathMethod[])
    .filter((k) => r.overlap[k])
    .map((k) => {
      const o = r.overlap[k];
      const floor = 1 / (r.resamples + 1);
      const pText = o.pPermutation <= floor + 1e-12 ? `< ${Number((1 / r.resamples).toPrecision(2))} (0 of ${r.resamples})` : o.pPermutation.toPrecision(2);
      return { method: k, label: CLASS_METHOD_LABELS[k], within: o.within, between: o.between, diff: o.diff, ci95: o.ci95, p: o.pPermutation, pText };
    });
}
